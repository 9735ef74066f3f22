// Placeholder: being built.
export default function Statements() {
  return <div data-testid="todo">Statements</div>;
}
