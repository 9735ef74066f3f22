// Placeholder: being built.
export default function Ledger() {
  return <div data-testid="todo">Ledger</div>;
}
