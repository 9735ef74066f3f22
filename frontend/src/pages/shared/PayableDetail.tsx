// Placeholder: being built.
export default function PayableDetail() {
  return <div data-testid="todo">PayableDetail</div>;
}
