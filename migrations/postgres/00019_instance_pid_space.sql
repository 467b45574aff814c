-- +goose Up
-- Where an instance's process id means something: the kernel boot and the pid namespace it runs in. An
-- instance that shares them with a registered one can ask the kernel whether that process still exists, and
-- take over the jobs of one that does not at once instead of waiting PANTRYFLOW_DEAD_AFTER for its heartbeat.
-- Empty where it cannot be known; such instances are judged by their heartbeats alone.
ALTER TABLE engine_instances ADD COLUMN pid_space TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE engine_instances DROP COLUMN pid_space;
