// Placeholder: being built.
export default function PaymentBatches() {
  return <div data-testid="todo">PaymentBatches</div>;
}
