-- A collector database made by release 0.1.0 (schema_info version 3, the account tables made
-- by ensure_tables, the rollup tables made by create_rollups) with a row in every table, on SQLite:
-- `sqlite3 collector.db .dump`. The upgrade test loads it and upgrades it to head.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_info (
	version INTEGER NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO schema_info VALUES(3);
CREATE TABLE anchors (
	device VARCHAR(32) NOT NULL, 
	boot VARCHAR(64) NOT NULL, 
	mono FLOAT NOT NULL, 
	at_ms BIGINT NOT NULL, 
	PRIMARY KEY (device, boot)
);
INSERT INTO anchors VALUES('k1','b1',12.5,1709600400000);
CREATE TABLE api_tokens (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	created_ms BIGINT NOT NULL, 
	created_by TEXT NOT NULL, 
	active BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name), 
	UNIQUE (digest)
);
INSERT INTO api_tokens VALUES(1,'board','0000000000000000000000000000000000000000000000000000000000000000',1709600000000,'lan',1);
CREATE TABLE audit (
	id INTEGER NOT NULL, 
	at_ms BIGINT NOT NULL, 
	actor TEXT NOT NULL, 
	action TEXT NOT NULL, 
	entity TEXT NOT NULL, 
	"key" TEXT NOT NULL, 
	"before" TEXT, 
	"after" TEXT, 
	PRIMARY KEY (id)
);
INSERT INTO audit VALUES(1,1709600000000,'cli','create','field','ho-tich',NULL,'{"name":"Hộ tịch"}');
CREATE TABLE corrections (
	id INTEGER NOT NULL, 
	device VARCHAR(32) NOT NULL, 
	seq BIGINT NOT NULL, 
	action TEXT NOT NULL, 
	reason TEXT NOT NULL, 
	actor TEXT NOT NULL, 
	at_ms BIGINT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO corrections VALUES(1,'k1',2,'exclude','thử','lan',1709600500000);
CREATE TABLE counters (
	code VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	field VARCHAR(64), 
	PRIMARY KEY (code)
);
INSERT INTO counters VALUES('Q1','Quầy 1','ho-tich');
CREATE TABLE device_counters (
	device VARCHAR(32) NOT NULL, 
	counter VARCHAR(64) NOT NULL, 
	PRIMARY KEY (device)
);
INSERT INTO device_counters VALUES('k1','Q1');
CREATE TABLE devices (
	device VARCHAR(32) NOT NULL, 
	acked_upto BIGINT NOT NULL, 
	first_seen_ms BIGINT, 
	last_seen_ms BIGINT, 
	state VARCHAR(8), 
	state_session BIGINT, 
	state_since_ms BIGINT, 
	health TEXT, 
	config TEXT, 
	PRIMARY KEY (device)
);
INSERT INTO devices VALUES('k1',2,1709600400000,1709600460000,'online',3,1709600400000,'{}','{"v":1,"question":"Q?"}');
CREATE TABLE dossier_counts (
	field VARCHAR(64) NOT NULL, 
	month VARCHAR(7) NOT NULL, 
	resolved INTEGER NOT NULL, 
	updated_ms BIGINT, 
	PRIMARY KEY (field, month)
);
INSERT INTO dossier_counts VALUES('ho-tich','2024-03',40,1709600000000);
CREATE TABLE duty (
	id INTEGER NOT NULL, 
	counter VARCHAR(64) NOT NULL, 
	official VARCHAR(64) NOT NULL, 
	start_ms BIGINT NOT NULL, 
	end_ms BIGINT, 
	PRIMARY KEY (id)
);
INSERT INTO duty VALUES(1,'Q1','cb-01',1709600000000,NULL);
CREATE TABLE fields (
	code VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	PRIMARY KEY (code)
);
INSERT INTO fields VALUES('ho-tich','Hộ tịch',1);
INSERT INTO fields VALUES('dat-dai','Đất đai',0);
CREATE TABLE login_attempts (
	id INTEGER NOT NULL, 
	at_ms BIGINT NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	address VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO login_attempts VALUES(1,1709600000000,'lan','127.0.0.1');
CREATE TABLE officials (
	code VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	PRIMARY KEY (code)
);
INSERT INTO officials VALUES('cb-01','Nguyễn Văn A',1);
CREATE TABLE presses (
	id INTEGER NOT NULL, 
	device VARCHAR(32) NOT NULL, 
	seq BIGINT NOT NULL, 
	rating SMALLINT NOT NULL, 
	reason SMALLINT, 
	ts VARCHAR(40) NOT NULL, 
	at_ms BIGINT NOT NULL, 
	synced BOOLEAN NOT NULL, 
	redated BOOLEAN NOT NULL, 
	boot VARCHAR(64) NOT NULL, 
	mono FLOAT NOT NULL, 
	counter VARCHAR(64), 
	official VARCHAR(64), 
	field VARCHAR(64), 
	dossier VARCHAR(64), 
	mode VARCHAR(8) NOT NULL, 
	received_ms BIGINT NOT NULL, 
	payload BLOB NOT NULL, 
	sig VARCHAR(64), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_presses_device_seq UNIQUE (device, seq)
);
INSERT INTO presses VALUES(1,'k1',1,4,NULL,'2024-03-05T08:00:00.000+07:00',1709600400000,1,0,'b1',12.5,'Q1','cb-01','ho-tich','HS-1','live',1709600400100,X'7b2276223a317d','ab');
INSERT INTO presses VALUES(2,'k1',2,1,2,'2024-03-05T08:01:00.000+07:00',1709600460000,0,1,'b1',72.5,'Q1',NULL,NULL,NULL,'test',1709600460100,X'00ff',NULL);
CREATE TABLE quarantine (
	id INTEGER NOT NULL, 
	received_ms BIGINT NOT NULL, 
	topic TEXT NOT NULL, 
	device VARCHAR(32), 
	seq BIGINT, 
	kind VARCHAR(16) NOT NULL, 
	reason TEXT NOT NULL, 
	payload BLOB NOT NULL, 
	sig TEXT, 
	PRIMARY KEY (id)
);
INSERT INTO quarantine VALUES(1,1709600400000,'hailong/k1/press','k1',3,'invalid','bad',X'00',NULL);
CREATE TABLE remarks (
	period VARCHAR(32) NOT NULL, 
	text TEXT NOT NULL, 
	updated_ms BIGINT, 
	actor TEXT, 
	PRIMARY KEY (period)
);
INSERT INTO remarks VALUES('2024-03','Tháng tốt',1709600000000,'lan');
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	password_hash TEXT NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_ms BIGINT NOT NULL, 
	changed_ms BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (username)
);
INSERT INTO users VALUES(1,'lan','Lan','$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA','admin',1,1709600000000,1709600000000);
CREATE TABLE report_halves (
	tz VARCHAR(64) NOT NULL, 
	first_day VARCHAR(10) NOT NULL, 
	presses BIGINT NOT NULL, 
	seq_sum BIGINT NOT NULL, 
	offset_sum BIGINT NOT NULL, 
	rules VARCHAR(40) NOT NULL, 
	built_ms BIGINT NOT NULL, 
	PRIMARY KEY (tz, first_day)
);
INSERT INTO report_halves VALUES('Asia/Ho_Chi_Minh','2024-03-01',2,3,1000,'ffffffffffffffffffffffffffffffffffffffff',1709600600000);
CREATE TABLE report_half_counts (
	tz VARCHAR(64) NOT NULL, 
	first_day VARCHAR(10) NOT NULL, 
	dim VARCHAR(8) NOT NULL, 
	mode VARCHAR(8) NOT NULL, 
	"key" VARCHAR(64), 
	rating SMALLINT NOT NULL, 
	n BIGINT NOT NULL
);
INSERT INTO report_half_counts VALUES('Asia/Ho_Chi_Minh','2024-03-01','field','live','ho-tich',4,1);
CREATE TABLE report_half_flags (
	tz VARCHAR(64) NOT NULL, 
	first_day VARCHAR(10) NOT NULL, 
	device VARCHAR(32) NOT NULL, 
	seq BIGINT NOT NULL, 
	rating SMALLINT NOT NULL, 
	at_ms BIGINT NOT NULL, 
	counter VARCHAR(64), 
	field VARCHAR(64), 
	mode VARCHAR(8) NOT NULL, 
	official VARCHAR(64)
);
INSERT INTO report_half_flags VALUES('Asia/Ho_Chi_Minh','2024-03-01','k1',1,4,1709600400000,'Q1','ho-tich','live','cb-01');
CREATE INDEX ix_audit_at ON audit (at_ms);
CREATE INDEX ix_audit_entity_key ON audit (entity, "key");
CREATE INDEX ix_corrections_device_seq ON corrections (device, seq);
CREATE INDEX ix_device_counters_counter ON device_counters (counter);
CREATE INDEX ix_dossier_counts_month ON dossier_counts (month);
CREATE INDEX ix_duty_counter_start ON duty (counter, start_ms);
CREATE INDEX ix_login_attempts_address ON login_attempts (address);
CREATE INDEX ix_login_attempts_at ON login_attempts (at_ms);
CREATE INDEX ix_login_attempts_username ON login_attempts (username);
CREATE INDEX ix_presses_dossier ON presses (dossier) WHERE dossier IS NOT NULL;
CREATE INDEX ix_presses_report ON presses (at_ms, mode, rating, field, official, counter, device, seq);
CREATE INDEX ix_presses_unsynced_boot ON presses (device, boot) WHERE synced = 0;
CREATE INDEX ix_quarantine_received ON quarantine (received_ms);
CREATE INDEX ix_report_half_counts ON report_half_counts (tz, first_day);
CREATE INDEX ix_report_half_flags ON report_half_flags (tz, first_day);
COMMIT;
