// Placeholder: being built.
export default function PaymentBatch() {
  return <div data-testid="todo">PaymentBatch</div>;
}
