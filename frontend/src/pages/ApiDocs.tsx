import SwaggerUI from 'swagger-ui-react';
import 'swagger-ui-react/swagger-ui.css';
import { Link } from 'react-router-dom';
import { getToken } from '../api/session';
import { useI18n } from '../i18n';

/**
 * Interactive API docs, rendered from the server's own document and bundled (no CDN), so they
 * work offline. Requests made with "Try it out" carry the signed-in user's token.
 */
export default function ApiDocs() {
  const { t } = useI18n();
  return (
    <div style={{ background: '#fff', minHeight: '100%' }}>
      <div className="jc-header" style={{ display: 'flex' }}>
        <span className="jc-brand">{t('app.name')}<small>{t('common.apiDocs')} · /api/v1/openapi.json</small></span>
        <span className="jc-spacer" />
        <Link to="/">{t('common.home')}</Link>
      </div>
      <SwaggerUI
        url="/api/v1/openapi.json"
        docExpansion="list"
        deepLinking
        tryItOutEnabled
        requestInterceptor={(req) => {
          const token = getToken();
          const headers = req.headers as Record<string, string>;
          if (token && !headers.Authorization) headers.Authorization = `Bearer ${token}`;
          return req;
        }}
      />
    </div>
  );
}
