-- Stratus Red Team aws.defense-evasion.cloudtrail-event-selectors: PutEventSelectors leaves a trail
-- without (all) management events. Stratus writes one basic selector with includeManagementEvents
-- false (and readWriteType ReadOnly). Matches when the new configuration records no complete set of
-- management events:
-- - basic selectors (requestParameters.eventSelectors): no selector has includeManagementEvents
--   true next to readWriteType All. A selector that only adds data events beside a full
--   management selector does not match.
-- - advanced selectors (requestParameters.advancedEventSelectors): the selectors never name the
--   value "Management" (the eventCategory that selects management events), or they narrow
--   management events by readOnly (only reads or only writes: the advanced form of Stratus's
--   ReadOnly selector) and select no data events.
-- Both are read on the selectors' JSON text (compact on both engines; Snowflake sorts an object's
-- keys, CloudTrail writes readWriteType first, so the pair is adjacent in either order), not per
-- array element: one condition, no FLATTEN or array index, which the benchmark's baseline cannot
-- translate. Known limits: a basic selector that omits includeManagementEvents or readWriteType
-- (both default to true and All) is read as not logging everything (a false positive); a selector
-- merely named "Management" hides a data-only advanced configuration; readOnly narrowing next to
-- data-event selectors is not matched (a data selector may use readOnly for itself); an
-- advanced Management selector narrowed by eventSource is not matched (excluding a noisy
-- service is a documented cost saving).
-- The CIS pack does not cover PutEventSelectors. excludeManagementEventSources (dropping KMS or RDS
-- Data API events, a documented cost saving) is not matched. Failed calls match (errorCode in the
-- finding): an attempt to cut the trail is the signal even when denied.
eventSource = 'cloudtrail.amazonaws.com'
AND eventName = 'PutEventSelectors'
AND (
    (
        requestParameters:eventSelectors::string IS NOT NULL
        AND requestParameters:eventSelectors::string NOT LIKE '%"includeManagementEvents":true,"readWriteType":"All"%'
        AND requestParameters:eventSelectors::string NOT LIKE '%"readWriteType":"All","includeManagementEvents":true%'
    )
    OR (
        requestParameters:advancedEventSelectors::string IS NOT NULL
        AND (
            requestParameters:advancedEventSelectors::string NOT LIKE '%"Management"%'
            OR (
                requestParameters:advancedEventSelectors::string LIKE '%"field":"readOnly"%'
                AND requestParameters:advancedEventSelectors::string NOT LIKE '%"Data"%'
            )
        )
    )
)
