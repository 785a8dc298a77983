"""Review: the queue of visits, their review detail, and the decisions that turn findings into registry changes."""
