-- +goose Up
-- Sign-in throttling counts failures per (account, address) pair and asks whether an address has ever
-- signed in to an account: both read by email and address.
CREATE INDEX login_attempts_pair_idx ON login_attempts (email, ip, created_at);

-- +goose Down
DROP INDEX login_attempts_pair_idx;
