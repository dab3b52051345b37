-- Stratus Red Team aws.exfiltration.ec2-share-ami: an AMI's launch permission is granted to
-- another AWS account (requestParameters.launchPermission.add.items[].userId), an organization
-- or organizational unit (organizationArn, organizationalUnitArn) or everyone (group "all"),
-- so its disks can be launched, copied and read elsewhere. Only grants match: add.items present
-- and not empty. Removing a permission (launchPermission.remove), resetting it
-- (ResetImageAttribute) or changing another attribute (description) does not. The items are
-- read as text (one key compare, no FLATTEN): any non-empty add list matches. Failed calls
-- (errorCode set) match too: an attempt to share an image is worth a look, and errorCode is in
-- the finding.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'ModifyImageAttribute'
AND requestParameters:launchPermission:add:items::string != '[]'
