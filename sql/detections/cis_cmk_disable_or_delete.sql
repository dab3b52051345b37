-- CIS AWS Foundations 4.7 (v6.0+: 5.7), disabling or scheduled deletion of customer-created
-- KMS keys. The CIS filter:
--   {($.eventSource = kms.amazonaws.com) &&
--    (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }
-- Failed attempts (an errorCode such as AccessDeniedException or KMSInvalidStateException) still
-- match: CIS counts attempts. The deletion itself, which KMS logs as a DeleteKey service event
-- when the waiting period ends, is not in the filter; nor are EnableKey, CancelKeyDeletion or
-- DisableKeyRotation. Matching is case-sensitive, as in the filter.
eventSource = 'kms.amazonaws.com'
AND eventName IN ('DisableKey', 'ScheduleKeyDeletion')
