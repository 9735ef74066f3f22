// Placeholder: being built.
export default function RetentionRun() {
  return <div data-testid="todo">RetentionRun</div>;
}
