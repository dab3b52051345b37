-- Stratus Red Team aws.exfiltration.ec2-share-ebs-snapshot: an EBS snapshot's create-volume
-- permission is granted to another AWS account (requestParameters.createVolumePermission.add
-- .items[].userId) or to everyone (.items[].group "all"), so its data can be copied out of the
-- account. Only grants match: add.items present and not empty. A call that only removes
-- permissions (createVolumePermission.remove) or resets them (ResetSnapshotAttribute) does not.
-- The items are read as text (one key compare, no FLATTEN): any non-empty add list matches,
-- whoever it names. Failed calls (errorCode set) match too: an attempt to share a snapshot
-- is worth a look, and errorCode is in the finding.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'ModifySnapshotAttribute'
AND requestParameters:createVolumePermission:add:items::string != '[]'
