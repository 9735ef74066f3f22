import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AuthProvider, useAuth, type Role } from './auth';
import { I18nProvider, useI18n } from './i18n';
import { homeOf } from './home';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/Login';
import { NotFound } from './pages/NotFound';

// Every screen behind the login is its own chunk, loaded when first visited.
const Catalogue = lazy(() => import('./pages/hospital/Catalogue'));
const NewOrder = lazy(() => import('./pages/hospital/NewOrder'));
const Volumes = lazy(() => import('./pages/hospital/Volumes'));
const Acceptance = lazy(() => import('./pages/hospital/Acceptance'));
const Orders = lazy(() => import('./pages/shared/Orders'));
const OrderDetail = lazy(() => import('./pages/shared/OrderDetail'));
const Deliveries = lazy(() => import('./pages/shared/Deliveries'));
const Payables = lazy(() => import('./pages/shared/Payables'));
const DeliveryForm = lazy(() => import('./pages/supplier/DeliveryForm'));
const ProductFlow = lazy(() => import('./pages/supplier/ProductFlow'));
const Dashboard = lazy(() => import('./pages/bureau/Dashboard'));
const Batches = lazy(() => import('./pages/bureau/Batches'));
const Products = lazy(() => import('./pages/bureau/Products'));
const Bids = lazy(() => import('./pages/bureau/Bids'));
const AgreedVolumes = lazy(() => import('./pages/bureau/AgreedVolumes'));
const Listed = lazy(() => import('./pages/bureau/Listed'));
const Audit = lazy(() => import('./pages/bureau/Audit'));
const Monitoring = lazy(() => import('./pages/bureau/Monitoring'));
const JobRuns = lazy(() => import('./pages/bureau/JobRuns'));
const RetentionRuns = lazy(() => import('./pages/shared/RetentionRuns'));
const RetentionRun = lazy(() => import('./pages/shared/RetentionRun'));
const PayableDetail = lazy(() => import('./pages/shared/PayableDetail'));
const Statements = lazy(() => import('./pages/shared/Statements'));
const PaymentBatches = lazy(() => import('./pages/fund/PaymentBatches'));
const PaymentBatch = lazy(() => import('./pages/fund/PaymentBatch'));
const NewPaymentBatch = lazy(() => import('./pages/fund/NewPaymentBatch'));
const Ledger = lazy(() => import('./pages/fund/Ledger'));
const ApiDocs = lazy(() => import('./pages/ApiDocs'));
const Tenders = lazy(() => import('./pages/shared/Tenders'));
const TenderDetail = lazy(() => import('./pages/shared/TenderDetail'));
const Credit = lazy(() => import('./pages/shared/Credit'));
const Publications = lazy(() => import('./pages/bureau/Publications'));
const PublicSite = lazy(() => import('./pages/public/PublicSite'));
const CreditCase = lazy(() => import('./pages/shared/CreditCase'));
const PaymentStandards = lazy(() => import('./pages/shared/PaymentStandards'));
const Users = lazy(() => import('./pages/shared/Users'));

const BUREAU: Role[] = ['bureau_officer', 'admin'];
const HOSPITAL: Role[] = ['hospital_buyer'];
const SUPPLIER: Role[] = ['supplier'];
const FUND: Role[] = ['fund_officer'];
const OFFICERS: Role[] = ['bureau_officer', 'admin', 'fund_officer'];

function Loading() {
  const { t } = useI18n();
  return <div style={{ padding: 48, textAlign: 'center' }}><Spin /> <span className="jc-muted">{t('common.loading')}</span></div>;
}

/** Signed in, with one of `roles` (any role when omitted); another role sees "not found". */
function Guard({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const { role } = useAuth();
  const loc = useLocation();
  if (!role) return <Navigate to="/login" replace state={{ from: loc.pathname + loc.search }} />;
  if (roles && !roles.includes(role)) return <NotFound />;
  return <>{children}</>;
}

function Home() {
  const { role } = useAuth();
  return <Navigate to={homeOf(role)} replace />;
}

function Localized({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === 'zh' ? zhCN : enUS}
      componentSize="small"
      theme={{ token: { colorPrimary: '#1f5fa8', borderRadius: 4, fontSize: 13 } }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <Localized>
        <AuthProvider>
          <BrowserRouter>
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route path="/api/docs" element={<ApiDocs />} />
                {/* The public disclosure site: no sign-in. */}
                <Route path="/public" element={<PublicSite />} />
                <Route path="/public/:region" element={<PublicSite />} />
                <Route path="/public/:region/:kind" element={<PublicSite />} />
                <Route element={<Guard><AppLayout /></Guard>}>
                  <Route index element={<Home />} />
                  <Route path="hospital/catalogue" element={<Guard roles={HOSPITAL}><Catalogue /></Guard>} />
                  <Route path="hospital/orders/new" element={<Guard roles={HOSPITAL}><NewOrder /></Guard>} />
                  <Route path="hospital/orders" element={<Guard roles={HOSPITAL}><Orders /></Guard>} />
                  <Route path="hospital/deliveries" element={<Guard roles={HOSPITAL}><Deliveries /></Guard>} />
                  <Route path="hospital/payables" element={<Guard roles={HOSPITAL}><Payables /></Guard>} />
                  <Route path="hospital/volumes" element={<Guard roles={HOSPITAL}><Volumes /></Guard>} />
                  <Route path="supplier/orders" element={<Guard roles={SUPPLIER}><Orders /></Guard>} />
                  <Route path="supplier/deliveries" element={<Guard roles={SUPPLIER}><Deliveries /></Guard>} />
                  <Route path="supplier/payments" element={<Guard roles={SUPPLIER}><Payables /></Guard>} />
                  <Route path="supplier/product-flow" element={<Guard roles={SUPPLIER}><ProductFlow /></Guard>} />
                  <Route path="orders/:id" element={<Guard><OrderDetail /></Guard>} />
                  <Route path="orders/:id/ship" element={<Guard roles={SUPPLIER}><DeliveryForm /></Guard>} />
                  <Route path="deliveries/:id" element={<Guard><Acceptance /></Guard>} />
                  <Route path="tenders" element={<Guard><Tenders /></Guard>} />
                  <Route path="tenders/:id" element={<Guard><TenderDetail /></Guard>} />
                  <Route path="credit" element={<Guard roles={['bureau_officer', 'fund_officer', 'hospital_buyer', 'supplier']}><Credit /></Guard>} />
                  <Route path="credit/:id" element={<Guard roles={['bureau_officer', 'fund_officer', 'hospital_buyer', 'supplier']}><CreditCase /></Guard>} />
                  <Route path="payment-standards" element={<Guard roles={[...OFFICERS, 'supplier']}><PaymentStandards /></Guard>} />
                  <Route path="bureau/dashboard" element={<Guard roles={BUREAU}><Dashboard /></Guard>} />
                  <Route path="bureau/batches" element={<Guard roles={BUREAU}><Batches /></Guard>} />
                  <Route path="bureau/products" element={<Guard roles={BUREAU}><Products /></Guard>} />
                  <Route path="bureau/bids" element={<Guard roles={BUREAU}><Bids /></Guard>} />
                  <Route path="bureau/agreed-volumes" element={<Guard roles={BUREAU}><AgreedVolumes /></Guard>} />
                  <Route path="bureau/listed" element={<Guard roles={BUREAU}><Listed /></Guard>} />
                  <Route path="bureau/orders" element={<Guard roles={BUREAU}><Orders /></Guard>} />
                  <Route path="bureau/payables" element={<Guard roles={BUREAU}><Payables /></Guard>} />
                  <Route path="bureau/publications" element={<Guard roles={['bureau_officer']}><Publications /></Guard>} />
                  <Route path="users" element={<Guard roles={BUREAU}><Users /></Guard>} />
                  <Route path="bureau/audit" element={<Guard roles={BUREAU}><Audit /></Guard>} />
                  <Route path="fund/payables" element={<Guard roles={FUND}><Payables /></Guard>} />
                  <Route path="payables/:id" element={<Guard><PayableDetail /></Guard>} />
                  <Route path="hospital/statements" element={<Guard roles={HOSPITAL}><Statements /></Guard>} />
                  <Route path="hospital/retention" element={<Guard roles={HOSPITAL}><RetentionRuns /></Guard>} />
                  <Route path="bureau/monitoring" element={<Guard roles={BUREAU}><Monitoring /></Guard>} />
                  <Route path="bureau/retention" element={<Guard roles={BUREAU}><RetentionRuns /></Guard>} />
                  <Route path="bureau/jobs" element={<Guard roles={BUREAU}><JobRuns /></Guard>} />
                  <Route path="bureau/payment-batches" element={<Guard roles={BUREAU}><PaymentBatches /></Guard>} />
                  <Route path="fund/batches" element={<Guard roles={FUND}><PaymentBatches /></Guard>} />
                  <Route path="fund/batches/new" element={<Guard roles={FUND}><NewPaymentBatch /></Guard>} />
                  <Route path="fund/ledger" element={<Guard roles={FUND}><Ledger /></Guard>} />
                  <Route path="fund/statements" element={<Guard roles={FUND}><Statements /></Guard>} />
                  <Route path="fund/retention" element={<Guard roles={FUND}><RetentionRuns /></Guard>} />
                  <Route path="fund/jobs" element={<Guard roles={FUND}><JobRuns /></Guard>} />
                  <Route path="payment-batches/:id" element={<Guard roles={OFFICERS}><PaymentBatch /></Guard>} />
                  <Route path="retention/:id" element={<Guard roles={[...OFFICERS, 'hospital_buyer']}><RetentionRun /></Guard>} />
                  <Route path="*" element={<NotFound />} />
                </Route>
              </Routes>
            </Suspense>
          </BrowserRouter>
        </AuthProvider>
      </Localized>
    </I18nProvider>
  );
}
