-- Stratus Red Team aws.defense-evasion.cloudtrail-event-selectors: PutEventSelectors leaves a trail
-- without (all) management events. Stratus writes one basic selector with includeManagementEvents
-- false (and readWriteType ReadOnly). Matches when the new configuration records no complete set of
-- management events:
-- - basic selectors (requestParameters.eventSelectors, at most 5 per trail, so indexes 0-4 cover
--   them without FLATTEN): none has includeManagementEvents true with readWriteType All. Both
--   fields are optional and default to true and All, hence the COALESCEs; a selector that only
--   adds data events next to a full management selector does not match.
-- - advanced selectors (requestParameters.advancedEventSelectors): the selectors' JSON text never
--   names the value "Management" (the eventCategory that selects management events). Reading the
--   text keeps it one condition on both engines; a selector merely named "Management" would hide a
--   data-only configuration, and an advanced Management selector narrowed by readOnly or
--   eventSource is not matched (that needs per-selector logic; left for a later version).
-- The CIS pack does not cover PutEventSelectors. excludeManagementEventSources (dropping KMS or RDS
-- Data API events, a documented cost saving) is not matched. Failed calls match (errorCode in the
-- finding): an attempt to cut the trail is the signal even when denied.
eventSource = 'cloudtrail.amazonaws.com'
AND eventName = 'PutEventSelectors'
AND (
    (
        requestParameters:eventSelectors IS NOT NULL
        AND NOT (
            (
                requestParameters:eventSelectors[0] IS NOT NULL
                AND COALESCE(requestParameters:eventSelectors[0].includeManagementEvents::string, 'true') = 'true'
                AND COALESCE(requestParameters:eventSelectors[0].readWriteType::string, 'All') = 'All'
            )
            OR (
                requestParameters:eventSelectors[1] IS NOT NULL
                AND COALESCE(requestParameters:eventSelectors[1].includeManagementEvents::string, 'true') = 'true'
                AND COALESCE(requestParameters:eventSelectors[1].readWriteType::string, 'All') = 'All'
            )
            OR (
                requestParameters:eventSelectors[2] IS NOT NULL
                AND COALESCE(requestParameters:eventSelectors[2].includeManagementEvents::string, 'true') = 'true'
                AND COALESCE(requestParameters:eventSelectors[2].readWriteType::string, 'All') = 'All'
            )
            OR (
                requestParameters:eventSelectors[3] IS NOT NULL
                AND COALESCE(requestParameters:eventSelectors[3].includeManagementEvents::string, 'true') = 'true'
                AND COALESCE(requestParameters:eventSelectors[3].readWriteType::string, 'All') = 'All'
            )
            OR (
                requestParameters:eventSelectors[4] IS NOT NULL
                AND COALESCE(requestParameters:eventSelectors[4].includeManagementEvents::string, 'true') = 'true'
                AND COALESCE(requestParameters:eventSelectors[4].readWriteType::string, 'All') = 'All'
            )
        )
    )
    OR (
        requestParameters:advancedEventSelectors IS NOT NULL
        AND requestParameters:advancedEventSelectors::string NOT LIKE '%"Management"%'
    )
)
