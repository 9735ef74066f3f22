// Placeholder: being built.
export default function NewPaymentBatch() {
  return <div data-testid="todo">NewPaymentBatch</div>;
}
