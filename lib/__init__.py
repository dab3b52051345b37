"""Pure helpers: stack configuration, IAM documents and SQL, all testable without Pulumi mocks."""
