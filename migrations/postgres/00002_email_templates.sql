-- +goose Up
-- The templates the built-in workflows use. Subject and body are {{ }} templates over the send_email step's
-- data and the execution's variables; managers can edit them.
INSERT INTO email_templates (name, subject, body, updated_at) VALUES
('welcome_qualified_lead',
 'Welcome to Kitchen Pantry, {{firstName}}',
 'Hi {{firstName}},

Thank you for your interest in Kitchen Pantry. We are glad to be talking with {{companyName}} and will be in touch shortly to learn what your kitchen needs.

Best regards,
The Kitchen Pantry sales team', CURRENT_TIMESTAMP),
('followup_engaged_lead',
 'Next steps with Kitchen Pantry',
 'Hi {{lead.firstName}},

Thanks for taking a look at what we sent. Could we book a short discovery call to hear about your plans? Reply with a time that suits you.

Best regards,
The Kitchen Pantry sales team', CURRENT_TIMESTAMP),
('demo_followup',
 'Thank you for your time at the demo',
 'Hello,

Thank you for joining our product demo on {{demoDate}}.

Next steps: {{nextSteps}}

Best regards,
The Kitchen Pantry sales team', CURRENT_TIMESTAMP),
('proposal',
 'Your Kitchen Pantry proposal',
 'Hello,

Following our research into your needs, here is what we found:

{{findings}}

A detailed proposal follows in our next message. We look forward to hearing from you.

Best regards,
The Kitchen Pantry sales team', CURRENT_TIMESTAMP);

-- +goose Down
DELETE FROM email_templates WHERE name IN ('welcome_qualified_lead', 'followup_engaged_lead', 'demo_followup', 'proposal');
