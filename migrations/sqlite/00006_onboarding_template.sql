-- +goose Up
-- The mail of the built-in "Won Deal Onboarding" workflow.
INSERT INTO email_templates (name, subject, body, updated_at) VALUES
('onboarding_welcome',
 'Welcome aboard, {{firstName}}',
 'Hi {{firstName}},

Thank you for choosing Kitchen Pantry. We are delighted to be working with {{companyName}}.

Your account manager will call you in the next few days to plan the kick-off and introduce the onboarding team.

Best regards,
The Kitchen Pantry team', CURRENT_TIMESTAMP);

-- +goose Down
DELETE FROM email_templates WHERE name = 'onboarding_welcome';
