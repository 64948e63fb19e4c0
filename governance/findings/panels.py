"""What the findings room shows on the dashboard (imported from `FindingsConfig.ready()`)."""
