-- The contract version (a hash of the contract file) that judged a submission: set when it is
-- validated, a lifecycle column like its status. Submissions judged before it was recorded keep null.
alter table audit.submission add column if not exists contract_version text;
