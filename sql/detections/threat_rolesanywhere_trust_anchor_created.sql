-- Stratus Red Team aws.persistence.rolesanywhere-create-trust-anchor: an IAM Roles Anywhere trust
-- anchor is created (CreateTrustAnchor), or an existing one is pointed at another certificate
-- authority (UpdateTrustAnchor with requestParameters.source). Whoever holds the anchor's CA can
-- then issue client certificates and, through a Roles Anywhere profile, assume every role whose
-- trust policy trusts rolesanywhere.amazonaws.com, from outside AWS and without IAM credentials.
-- Every creation matches: trust anchors are rare, long-lived infrastructure, and the CA cannot be
-- judged from the event (a CERTIFICATE_BUNDLE's PEM, or an AWS Private CA ARN).
-- Not matched: UpdateTrustAnchor that only renames (no source), CreateProfile (a profile alone
-- adds no trust; the Stratus detonation's second call), Enable/DisableTrustAnchor.
-- Failed calls match (errorCode is in the finding): the attempt is the signal.
eventSource = 'rolesanywhere.amazonaws.com'
AND (
    eventName = 'CreateTrustAnchor'
    OR (eventName = 'UpdateTrustAnchor' AND requestParameters:source IS NOT NULL)
)
