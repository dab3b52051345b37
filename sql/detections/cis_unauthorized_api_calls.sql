-- CIS AWS Foundations 4.1 (v6.0+: 5.1), unauthorized API calls. The CIS filter:
--   { ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*")
--     && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }
-- && binds tighter than ||, so the two exclusions apply to the AccessDenied branch only.
-- The wildcards also catch Client.UnauthorizedOperation (EC2) and AccessDeniedException (most
-- JSON APIs), which an exact match on 'AccessDenied' misses. LIKE is case-sensitive, as the
-- filter is; a missing field is NULL and never matches, as in the filter.
errorCode LIKE '%UnauthorizedOperation'
OR (
    errorCode LIKE 'AccessDenied%'
    AND sourceIPAddress != 'delivery.logs.amazonaws.com'
    AND eventName != 'HeadBucket'
)
