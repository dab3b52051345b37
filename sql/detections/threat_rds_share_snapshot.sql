-- Stratus Red Team aws.exfiltration.rds-share-snapshot: a manual RDS DB snapshot or DB cluster
-- snapshot is shared with another AWS account, or made public (the value "all"), through its
-- "restore" attribute: ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute with
-- requestParameters.attributeName "restore" and a non-empty valuesToAdd. Removing accounts
-- (valuesToRemove alone; valuesToAdd absent, null or []) does not match. The list is read as text
-- (no FLATTEN); a JSON null reads as SQL NULL once cast. Failed calls (errorCode set) match too:
-- an attempt to share a database is worth a look, and errorCode is in the finding.
eventSource = 'rds.amazonaws.com'
AND eventName IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')
AND requestParameters:attributeName::string = 'restore'
AND requestParameters:valuesToAdd::string != '[]'
