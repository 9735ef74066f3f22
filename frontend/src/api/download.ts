import { ApiError } from './client';
import { getToken } from './session';

/**
 * Downloads a file the API serves (CSV, XLSX, bank files) with the session's token, and hands it
 * to the browser under the server's file name (Content-Disposition) or `fallbackName`.
 */
export async function downloadFile(path: string, query: Record<string, string | number | undefined | null>, fallbackName: string): Promise<void> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const url = qs.toString() ? `${path}?${qs}` : path;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${getToken() ?? ''}` } });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string | null } } | null;
    throw new ApiError(res.status, body?.error?.code ?? 'http_' + res.status, body?.error?.message ?? res.statusText, body?.error?.field);
  }
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd);
  const name = m ? decodeURIComponent(m[1] ?? m[2]) : fallbackName;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
