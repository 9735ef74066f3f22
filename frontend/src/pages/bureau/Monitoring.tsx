// Placeholder: being built.
export default function Monitoring() {
  return <div data-testid="todo">Monitoring</div>;
}
