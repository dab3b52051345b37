-- Stratus Red Team aws.defense-evasion.cloudtrail-delete: a CloudTrail trail is deleted
-- (cloudtrail:DeleteTrail). The CIS pack's cis_cloudtrail_config_changes also matches DeleteTrail,
-- among every trail change (CreateTrail, UpdateTrail, StartLogging...), as a medium-noise change
-- control; this is the threat detection for the destructive call alone, high severity, so it can be
-- routed as an incident. eventSource is pinned to CloudTrail. Failed attempts (errorCode set, e.g.
-- AccessDenied) match on purpose: an attempt to delete a trail is the signal, whether or not a
-- policy stopped it; errorCode is in the finding. Not matched: UpdateTrail, StopLogging (its own
-- detection), PutEventSelectors (its own detection) and CloudTrail Lake's DeleteEventDataStore.
eventSource = 'cloudtrail.amazonaws.com'
AND eventName = 'DeleteTrail'
