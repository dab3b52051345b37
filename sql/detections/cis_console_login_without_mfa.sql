-- CIS AWS Foundations 4.2 (v6.0+: 5.2), Management Console sign-in without MFA. The CIS filter:
--   { ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") &&
--     ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }
-- Only successful IAM-user sign-ins: root sign-ins are 4.3's, federated (AssumedRole) sign-ins
-- carry the identity provider's MFA, not AWS's. != only matches when MFAUsed exists, as in the
-- filter: a missing MFAUsed is NULL and NULL != 'Yes' is not true. Matching is case-sensitive.
eventName = 'ConsoleLogin'
AND additionalEventData:MFAUsed::string != 'Yes'
AND userIdentity:type::string = 'IAMUser'
AND responseElements:ConsoleLogin::string = 'Success'
