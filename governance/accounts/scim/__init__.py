"""SCIM 2.0 provisioning (RFC 7643, RFC 7644): identity providers create, update and deactivate
people and put them in groups that grant roles. Every change goes through the accounts
services, so it is checked and ledgered like the same change made on the pages."""
