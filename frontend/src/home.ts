import type { Role } from './auth';

/** Where each role lands after signing in. */
export function homeOf(role: Role | null): string {
  switch (role) {
    case 'hospital_buyer': return '/hospital/catalogue';
    case 'supplier': return '/supplier/orders';
    case 'fund_officer': return '/fund/payables';
    case 'bureau_officer':
    case 'admin': return '/bureau/dashboard';
    default: return '/login';
  }
}
