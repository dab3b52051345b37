-- CIS AWS Foundations 4.6 (v6.0+: 5.6), Management Console authentication failures. The CIS
-- filter:
--   { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }
-- Exactly that errorMessage, case-sensitive: a sign-in that fails for another reason (e.g.
-- "No username found in supplied account") does not match, although its
-- responseElements.ConsoleLogin is "Failure". Any identity type: IAM users and root alike.
eventName = 'ConsoleLogin'
AND errorMessage = 'Failed authentication'
