// Placeholder: being built.
export default function JobRuns() {
  return <div data-testid="todo">JobRuns</div>;
}
