-- Serie and Folio from the XML (the root's Serie/Folio, FolioInt for Retenciones), and which
-- version of the indexing read each package: XML packages read by version 1 (before Serie and
-- Folio) are read once more by the next update; metadata packages have nothing new to give.
ALTER TABLE documents ADD COLUMN serie TEXT;
ALTER TABLE documents ADD COLUMN folio TEXT;
ALTER TABLE packages ADD COLUMN index_version INTEGER NOT NULL DEFAULT 1;
UPDATE packages SET index_version = 2 WHERE kind = 'metadata';
