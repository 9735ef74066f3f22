// Placeholder: being built.
export default function RetentionRuns() {
  return <div data-testid="todo">RetentionRuns</div>;
}
