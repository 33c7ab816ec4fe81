"""Label Studio: the labelling config, tasks with pre-annotations, a local server, push and pull."""
