/* sim_catalog.c: the simulated workflows of a Polish accounting office, as
 * data. Each workflow is a DAG of steps with typical durations, failure
 * chances, input/output templates, log lines and real-looking errors; the
 * engine (sim_engine.c) interprets the table and has no code per workflow.
 *
 * Invariant (checked by sim_catalog_check, at start and in the tests): step
 * ids are unique within a workflow, every dependency names an earlier-listed
 * or later-listed step of the same workflow, and the graph has no cycle. */
#include "sim.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"

#define STEPS(a) a, sizeof a / sizeof a[0]

static const struct sim_step_def invoice_steps[] = {
	{ .id = "receive-invoice", .name = "Receive invoice", .deps = "", .mean_ms = 600,
	  .input = "{\"source\":\"email\",\"mailbox\":\"faktury@biuro.pl\",\"invoice_no\":\"{invoice_no}\"}",
	  .output = "{\"pages\":{n:1-4},\"format\":\"PDF\",\"size_bytes\":{n:40000-900000}}",
	  .logs = "info|Received invoice {invoice_no} from {contractor}\n"
		  "info|Odebrano fakturę {invoice_no} (załącznik PDF)",
	  .cpu_percent = 8, .memory_mb = 40 },
	{ .id = "ocr-extract", .name = "OCR and data extraction", .deps = "receive-invoice",
	  .mean_ms = 2500, .fail_permille = 20,
	  .input = "{\"invoice_no\":\"{invoice_no}\",\"engine\":\"tesseract-5\",\"language\":\"pol\"}",
	  .output = "{\"seller_nip\":\"{contractor_nip}\",\"net_pln\":\"{amount}\",\"vat_pln\":\"{vat}\","
		    "\"gross_pln\":\"{gross}\",\"confidence\":0.9{n:1-8}}",
	  .logs = "info|Rozpoznano {n:12-40} pozycji na fakturze {invoice_no}\n"
		  "debug|OCR page 1: {n:300-1400} words, confidence 0.9{n:1-8}",
	  .errors = "OCR confidence below threshold (0.6{n:1-9}) on page 1 of {invoice_no}|OCR_LOW_CONFIDENCE",
	  .unit = "pages", .total = "{n:1-4}", .cpu_percent = 85, .memory_mb = 420 },
	{ .id = "validate-nip", .name = "Validate contractor NIP (Biała lista VAT)", .deps = "ocr-extract",
	  .mean_ms = 800, .fail_permille = 25,
	  .input = "{\"nip\":\"{contractor_nip}\",\"date\":\"{last_day}\"}",
	  .output = "{\"status\":\"Czynny\",\"accounts\":[\"{iban}\"]}",
	  .logs = "info|NIP {contractor_nip}: podatnik VAT czynny\n"
		  "info|White list lookup for {contractor_nip} answered in {n:120-900} ms",
	  .errors = "Wykaz podatników VAT: NIP {contractor_nip} nie figuruje jako podatnik czynny|VAT_WHITELIST\n"
		    "Ministry of Finance API returned HTTP 503|MF_API_UNAVAILABLE",
	  .cpu_percent = 5, .memory_mb = 30 },
	{ .id = "match-po", .name = "Match purchase order", .deps = "ocr-extract", .mean_ms = 1200,
	  .fail_permille = 10,
	  .input = "{\"invoice_no\":\"{invoice_no}\",\"contractor\":\"{contractor}\"}",
	  .output = "{\"po\":\"ZZ/2026/{n:100-999}\",\"lines_matched\":{n:1-30},\"difference_pln\":\"0.00\"}",
	  .logs = "info|Invoice {invoice_no} matched to purchase order ZZ/2026/{n:100-999}",
	  .errors = "No purchase order for {contractor} within 2% of {gross} PLN|PO_NOT_FOUND",
	  .cpu_percent = 20, .memory_mb = 90 },
	{ .id = "book-invoice", .name = "Book to general ledger", .deps = "validate-nip match-po",
	  .mean_ms = 900,
	  .input = "{\"invoice_no\":\"{invoice_no}\",\"account_debit\":\"402-01\",\"account_credit\":\"202-{n:10-99}\","
		   "\"net_pln\":\"{amount}\",\"vat_pln\":\"{vat}\"}",
	  .output = "{\"journal_entry\":\"PK/{period}/{n:1000-9999}\",\"lines\":3}",
	  .logs = "info|Zaksięgowano fakturę {invoice_no} na kwotę {gross} PLN",
	  .cpu_percent = 15, .memory_mb = 60 },
	{ .id = "send-to-ksef", .name = "Send to KSeF", .deps = "book-invoice", .mean_ms = 3000,
	  .fail_permille = 50,
	  .input = "{\"invoice_no\":\"{invoice_no}\",\"nip\":\"{nip}\",\"schema\":\"FA(2)\"}",
	  .output = "{\"ksef_number\":\"{nip}-20261031-{n:100000-999999}-{n:10-99}\",\"status\":200}",
	  .logs = "info|Wysłano fakturę {invoice_no} do KSeF\n"
		  "warn|KSeF session token refreshed after {n:2-9} s",
	  .errors = "KSeF API timeout after 30s|KSEF_TIMEOUT\n"
		    "KSeF odrzucił fakturę: błąd 21405, nieprawidłowy NIP nabywcy|KSEF_REJECTED",
	  .cpu_percent = 6, .memory_mb = 35 },
};

static const struct sim_step_def approval_steps[] = {
	{ .id = "register-document", .name = "Register document", .deps = "", .mean_ms = 500,
	  .input = "{\"document\":\"{doc_no}\",\"kind\":\"umowa\",\"contractor\":\"{contractor}\"}",
	  .output = "{\"registry_no\":\"RD/2026/{n:1000-9999}\"}",
	  .logs = "info|Zarejestrowano dokument {doc_no}", .cpu_percent = 5, .memory_mb = 25 },
	{ .id = "classify-document", .name = "Classify document", .deps = "register-document",
	  .mean_ms = 1400, .input = "{\"document\":\"{doc_no}\",\"model\":\"doc-classifier-3\"}",
	  .output = "{\"category\":\"umowa o świadczenie usług\",\"cost_center\":\"MPK-{n:100-400}\","
		    "\"score\":0.8{n:1-9}}",
	  .logs = "info|Document {doc_no} classified as service agreement", .cpu_percent = 60,
	  .memory_mb = 300 },
	{ .id = "manager-approval", .name = "Manager approval", .deps = "classify-document",
	  .mean_ms = 4000, .fail_permille = 40,
	  .input = "{\"document\":\"{doc_no}\",\"approver\":\"{approver}\",\"amount_pln\":\"{gross}\"}",
	  .output = "{\"decision\":\"approved\",\"approver\":\"{approver}\"}",
	  .logs = "info|Wysłano prośbę o akceptację do: {approver}\n"
		  "info|Reminder e-mail sent to {approver}",
	  .errors = "Approval rejected by {approver}: missing cost center|APPROVAL_REJECTED\n"
		    "Approval deadline passed without a decision from {approver}|APPROVAL_TIMEOUT",
	  .cpu_percent = 2, .memory_mb = 20 },
	{ .id = "finance-approval", .name = "Finance approval", .deps = "manager-approval",
	  .mean_ms = 2500, .fail_permille = 15,
	  .input = "{\"document\":\"{doc_no}\",\"budget\":\"OPEX-{period}\",\"amount_pln\":\"{gross}\"}",
	  .output = "{\"decision\":\"approved\",\"budget_left_pln\":\"{amt:1000-250000}\"}",
	  .logs = "info|Budżet OPEX-{period}: wystarczające środki",
	  .errors = "Przekroczony budżet OPEX-{period} o {amt:100-20000} PLN|BUDGET_EXCEEDED",
	  .cpu_percent = 3, .memory_mb = 25 },
	{ .id = "archive-document", .name = "Archive document", .deps = "finance-approval",
	  .mean_ms = 700, .input = "{\"document\":\"{doc_no}\",\"retention_years\":5}",
	  .output = "{\"archive_id\":\"ARCH-{n:100000-999999}\",\"sha256_ok\":true}",
	  .logs = "info|Dokument {doc_no} zarchiwizowany", .cpu_percent = 10, .memory_mb = 50 },
};

static const struct sim_step_def closing_steps[] = {
	{ .id = "lock-period", .name = "Lock period", .deps = "", .mean_ms = 400,
	  .input = "{\"period\":\"{period}\",\"company\":\"{company}\",\"nip\":\"{nip}\"}",
	  .output = "{\"locked\":true,\"open_documents\":{n:0-12}}",
	  .logs = "info|Okres {period} zablokowany dla nowych dokumentów", .cpu_percent = 4,
	  .memory_mb = 30 },
	{ .id = "import-bank-statements", .name = "Import bank statements", .deps = "lock-period",
	  .mean_ms = 2200, .fail_permille = 15,
	  .input = "{\"period\":\"{period}\",\"bank\":\"{bank}\",\"account\":\"{iban}\",\"format\":\"MT940\"}",
	  .output = "{\"statements\":{n:18-23},\"transactions\":{n:200-2500}}",
	  .logs = "info|Pobrano wyciągi MT940 z {bank} za {period}\n"
		  "warn|Statement {n:1-23} of {period} has a duplicate transaction reference; skipped",
	  .errors = "{bank}: MT940 file for {last_day} is missing field :62F:|MT940_INVALID",
	  .unit = "statements", .total = "{n:18-23}", .cpu_percent = 35, .memory_mb = 180 },
	{ .id = "reconcile-bank", .name = "Reconcile bank accounts", .deps = "import-bank-statements",
	  .mean_ms = 3000, .fail_permille = 10,
	  .input = "{\"period\":\"{period}\",\"account\":\"{iban}\",\"tolerance_pln\":\"0.01\"}",
	  .output = "{\"matched\":{n:180-2400},\"unmatched\":{n:0-14},\"difference_pln\":\"0.00\"}",
	  .logs = "info|Uzgodniono {n:180-2400} transakcji, {n:0-14} do wyjaśnienia",
	  .errors = "Bank balance differs from ledger account 131 by {amt:1-5000} PLN|RECONCILIATION_DIFF",
	  .unit = "transactions", .total = "{n:200-2500}", .cpu_percent = 70, .memory_mb = 350 },
	{ .id = "post-accruals", .name = "Post accruals", .deps = "lock-period", .mean_ms = 1500,
	  .input = "{\"period\":\"{period}\",\"templates\":[\"RMK-czynne\",\"RMK-bierne\"]}",
	  .output = "{\"entries\":{n:5-60},\"total_pln\":\"{amt:1000-90000}\"}",
	  .logs = "info|Posted {n:5-60} accrual entries for {period}", .cpu_percent = 25,
	  .memory_mb = 120 },
	{ .id = "depreciation", .name = "Depreciation", .deps = "lock-period", .mean_ms = 1800,
	  .input = "{\"period\":\"{period}\",\"method\":\"liniowa\",\"register\":\"ŚT\"}",
	  .output = "{\"assets\":{n:40-600},\"depreciation_pln\":\"{amt:2000-120000}\"}",
	  .logs = "info|Naliczono amortyzację dla {n:40-600} środków trwałych", .unit = "assets",
	  .total = "{n:40-600}", .cpu_percent = 40, .memory_mb = 150 },
	{ .id = "fx-revaluation", .name = "FX revaluation", .deps = "reconcile-bank", .mean_ms = 1600,
	  .fail_permille = 40,
	  .input = "{\"period\":\"{period}\",\"currency\":\"{currency}\",\"rate_date\":\"{last_day}\",\"table\":\"A\"}",
	  .output = "{\"rate\":\"{rate}\",\"revaluation_pln\":\"{amt:-5000-15000}\"}",
	  .logs = "info|Kurs NBP {currency} z dnia {last_day}: {rate}",
	  .errors = "Brak kursu NBP dla {currency} z dnia {last_day}|NBP_RATE_MISSING\n"
		    "NBP API timeout after 10s|NBP_TIMEOUT",
	  .cpu_percent = 15, .memory_mb = 70 },
	{ .id = "vat-reconciliation", .name = "VAT reconciliation", .deps = "reconcile-bank",
	  .mean_ms = 2000, .fail_permille = 20,
	  .input = "{\"period\":\"{period}\",\"accounts\":[\"221-01\",\"221-02\"]}",
	  .output = "{\"vat_due_pln\":\"{vat_due}\",\"difference_pln\":\"0.00\"}",
	  .logs = "info|VAT registers agree with accounts 221-01/221-02 for {period}",
	  .errors = "Rejestr VAT sprzedaży różni się od konta 221-01 o {amt:1-900} PLN|VAT_MISMATCH",
	  .cpu_percent = 45, .memory_mb = 200 },
	{ .id = "intercompany-elimination", .name = "Intercompany elimination", .deps = "post-accruals",
	  .mean_ms = 1700, .input = "{\"period\":\"{period}\",\"group\":\"{company} Group\"}",
	  .output = "{\"eliminated_pln\":\"{amt:10000-900000}\",\"pairs\":{n:2-30}}",
	  .logs = "info|Eliminated {n:2-30} intercompany balances", .cpu_percent = 30,
	  .memory_mb = 140 },
	{ .id = "trial-balance", .name = "Trial balance", .deps = "fx-revaluation vat-reconciliation intercompany-elimination depreciation",
	  .mean_ms = 1400, .input = "{\"period\":\"{period}\",\"level\":\"analytical\"}",
	  .output = "{\"accounts\":{n:300-1200},\"debit_pln\":\"{amt:1000000-9000000}\",\"balanced\":true}",
	  .logs = "info|Zestawienie obrotów i sald za {period} zbilansowane", .cpu_percent = 55,
	  .memory_mb = 260 },
	{ .id = "adjusting-entries", .name = "Adjusting entries", .deps = "trial-balance",
	  .mean_ms = 1300, .input = "{\"period\":\"{period}\"}",
	  .output = "{\"entries\":{n:0-25}}",
	  .logs = "info|Posted {n:0-25} adjusting entries", .cpu_percent = 12, .memory_mb = 60 },
	{ .id = "financial-statements", .name = "Financial statements", .deps = "adjusting-entries",
	  .mean_ms = 2400, .fail_permille = 10,
	  .input = "{\"period\":\"{period}\",\"reports\":[\"bilans\",\"RZiS\",\"CF\"]}",
	  .output = "{\"net_profit_pln\":\"{amt:-200000-900000}\",\"files\":[\"bilans-{period}.xlsx\"]}",
	  .logs = "info|Wygenerowano bilans i rachunek zysków i strat za {period}",
	  .errors = "Balance sheet does not balance: assets exceed liabilities by {amt:1-99} PLN|BS_UNBALANCED",
	  .cpu_percent = 65, .memory_mb = 300 },
	{ .id = "close-period", .name = "Close period", .deps = "financial-statements", .mean_ms = 500,
	  .input = "{\"period\":\"{period}\"}", .output = "{\"closed\":true}",
	  .logs = "info|Okres {period} zamknięty", .cpu_percent = 4, .memory_mb = 25 },
};

static const struct sim_step_def payment_steps[] = {
	{ .id = "validate-batch", .name = "Validate payment batch", .deps = "", .mean_ms = 700,
	  .input = "{\"batch\":\"{batch_id}\",\"payments\":{n:5-180},\"total_pln\":\"{amt:5000-900000}\"}",
	  .output = "{\"valid\":true,\"duplicates\":0}",
	  .logs = "info|Paczka przelewów {batch_id} zweryfikowana", .cpu_percent = 10,
	  .memory_mb = 40 },
	{ .id = "check-sanctions", .name = "Check sanctions lists", .deps = "validate-batch",
	  .mean_ms = 1500, .fail_permille = 5,
	  .input = "{\"batch\":\"{batch_id}\",\"lists\":[\"EU\",\"UN\",\"MSWiA\"]}",
	  .output = "{\"hits\":0}",
	  .logs = "info|Sanctions screening of {batch_id}: no hits",
	  .errors = "Possible sanctions hit for beneficiary in {batch_id}: manual review required|SANCTIONS_HIT",
	  .cpu_percent = 20, .memory_mb = 90 },
	{ .id = "check-balance", .name = "Check account balance", .deps = "validate-batch",
	  .mean_ms = 900, .fail_permille = 25,
	  .input = "{\"account\":\"{iban}\",\"bank\":\"{bank}\"}",
	  .output = "{\"available_pln\":\"{amt:100000-5000000}\"}",
	  .logs = "info|Saldo rachunku {iban} wystarczające",
	  .errors = "Insufficient funds on {iban}: missing {amt:100-90000} PLN|INSUFFICIENT_FUNDS",
	  .cpu_percent = 5, .memory_mb = 30 },
	{ .id = "verify-iban", .name = "Verify beneficiary IBANs", .deps = "validate-batch",
	  .mean_ms = 1100, .fail_permille = 15,
	  .input = "{\"batch\":\"{batch_id}\",\"whitelist_date\":\"{last_day}\"}",
	  .output = "{\"verified\":{n:5-180},\"not_on_whitelist\":0}",
	  .logs = "info|IBAN check of {batch_id} against the VAT white list done",
	  .errors = "IBAN checksum invalid for {n:1-3} payments in batch {batch_id}|IBAN_INVALID",
	  .unit = "payments", .total = "{n:5-180}", .cpu_percent = 15, .memory_mb = 45 },
	{ .id = "approve", .name = "Approve batch", .deps = "check-sanctions check-balance verify-iban",
	  .mean_ms = 2500, .fail_permille = 10,
	  .input = "{\"batch\":\"{batch_id}\",\"approver\":\"{approver}\",\"two_person_rule\":true}",
	  .output = "{\"approved_by\":[\"{approver}\",\"Jan Kowalski\"]}",
	  .logs = "info|Batch {batch_id} approved by {approver}",
	  .errors = "Second approval not given within 2 hours|APPROVAL_TIMEOUT",
	  .cpu_percent = 2, .memory_mb = 20 },
	{ .id = "send-sepa", .name = "Send SEPA transfers", .deps = "approve", .mean_ms = 1800,
	  .fail_permille = 15, .input = "{\"batch\":\"{batch_id}\",\"format\":\"pain.001.001.03\",\"currency\":\"EUR\"}",
	  .output = "{\"sent\":{n:1-40},\"message_id\":\"SEPA-{n:100000-999999}\"}",
	  .logs = "info|Wysłano przelewy SEPA z paczki {batch_id}",
	  .errors = "SEPA gateway rejected file: invalid BIC in payment {n:1-40}|SEPA_REJECTED",
	  .cpu_percent = 8, .memory_mb = 40 },
	{ .id = "send-elixir", .name = "Send Elixir transfers", .deps = "approve", .mean_ms = 1600,
	  .fail_permille = 20, .input = "{\"batch\":\"{batch_id}\",\"format\":\"Elixir-O\",\"bank\":\"{bank}\"}",
	  .output = "{\"sent\":{n:4-140},\"session\":\"{n:1-3}\"}",
	  .logs = "info|Elixir: przelewy z {batch_id} przyjęte do sesji rozliczeniowej",
	  .errors = "Elixir session closed: next session at 14:30|ELIXIR_SESSION_CLOSED",
	  .cpu_percent = 8, .memory_mb = 40 },
	{ .id = "confirm", .name = "Confirm and notify", .deps = "send-sepa send-elixir",
	  .mean_ms = 600, .input = "{\"batch\":\"{batch_id}\"}",
	  .output = "{\"confirmations\":{n:5-180},\"emails\":{n:1-20}}",
	  .logs = "info|Potwierdzenia przelewów z {batch_id} wysłane do kontrahentów",
	  .cpu_percent = 5, .memory_mb = 30 },
};

static const struct sim_step_def vat_steps[] = {
	{ .id = "collect-sales-register", .name = "Collect sales register", .deps = "", .mean_ms = 1500,
	  .input = "{\"period\":\"{period}\",\"nip\":\"{nip}\"}",
	  .output = "{\"invoices\":{n:100-3000},\"net_pln\":\"{amt:100000-5000000}\"}",
	  .logs = "info|Rejestr sprzedaży VAT za {period}: pobrano dokumenty",
	  .unit = "invoices", .total = "{n:100-3000}", .cpu_percent = 30, .memory_mb = 160 },
	{ .id = "collect-purchase-register", .name = "Collect purchase register", .deps = "",
	  .mean_ms = 1500, .input = "{\"period\":\"{period}\",\"nip\":\"{nip}\"}",
	  .output = "{\"invoices\":{n:50-2000},\"net_pln\":\"{amt:50000-3000000}\"}",
	  .logs = "info|Purchase VAT register for {period} collected",
	  .unit = "invoices", .total = "{n:50-2000}", .cpu_percent = 30, .memory_mb = 150 },
	{ .id = "compute-vat", .name = "Compute VAT due", .deps = "collect-sales-register collect-purchase-register",
	  .mean_ms = 1200, .fail_permille = 20,
	  .input = "{\"period\":\"{period}\",\"rates\":[23,8,5,0]}",
	  .output = "{\"output_vat_pln\":\"{output_vat}\",\"input_vat_pln\":\"{input_vat}\","
		    "\"due_pln\":\"{vat_due}\"}",
	  .logs = "info|VAT należny za {period} wyliczony",
	  .errors = "Unknown VAT rate 7% on invoice {invoice_no}|VAT_RATE_UNKNOWN",
	  .cpu_percent = 50, .memory_mb = 120 },
	{ .id = "compare-with-ledger", .name = "Compare with ledger", .deps = "compute-vat",
	  .mean_ms = 1000, .fail_permille = 20, .input = "{\"period\":\"{period}\",\"accounts\":[\"221-01\"]}",
	  .output = "{\"difference_pln\":\"0.00\"}",
	  .logs = "info|VAT agrees with account 221-01",
	  .errors = "Różnica między VAT a kontem 221-01: {amt:1-500} PLN|VAT_LEDGER_DIFF",
	  .cpu_percent = 25, .memory_mb = 90 },
	{ .id = "report-vat", .name = "Report VAT", .deps = "compare-with-ledger", .mean_ms = 600,
	  .input = "{\"period\":\"{period}\",\"recipients\":[\"ksiegowosc@biuro.pl\"]}",
	  .output = "{\"report\":\"VAT-{period}.pdf\"}",
	  .logs = "info|Raport VAT za {period} wysłany", .cpu_percent = 10, .memory_mb = 60 },
};

static const struct sim_step_def jpk_steps[] = {
	{ .id = "collect-sales", .name = "Collect sales", .deps = "", .mean_ms = 1800,
	  .input = "{\"period\":\"{period}\",\"nip\":\"{nip}\",\"form\":\"JPK_V7M\"}",
	  .output = "{\"records\":{n:100-3000}}",
	  .logs = "info|JPK_V7M {period}: pobrano sprzedaż", .unit = "records",
	  .total = "{n:100-3000}", .cpu_percent = 35, .memory_mb = 170 },
	{ .id = "collect-purchases", .name = "Collect purchases", .deps = "", .mean_ms = 1800,
	  .input = "{\"period\":\"{period}\",\"nip\":\"{nip}\",\"form\":\"JPK_V7M\"}",
	  .output = "{\"records\":{n:50-2000}}",
	  .logs = "info|JPK_V7M {period}: collected purchases", .unit = "records",
	  .total = "{n:50-2000}", .cpu_percent = 35, .memory_mb = 160 },
	{ .id = "build-xml", .name = "Build XML", .deps = "collect-sales collect-purchases",
	  .mean_ms = 1500, .input = "{\"period\":\"{period}\",\"schema\":\"JPK_V7M(2)\"}",
	  .output = "{\"file\":\"JPK_V7M_{nip}_{period}.xml\",\"size_bytes\":{n:200000-9000000}}",
	  .logs = "info|Zbudowano plik JPK_V7M_{nip}_{period}.xml", .cpu_percent = 60,
	  .memory_mb = 380 },
	{ .id = "validate-xsd", .name = "Validate against XSD", .deps = "build-xml", .mean_ms = 1100,
	  .fail_permille = 50, .input = "{\"file\":\"JPK_V7M_{nip}_{period}.xml\",\"xsd\":\"Schemat_JPK_V7M(2)_v1-0E.xsd\"}",
	  .output = "{\"valid\":true,\"warnings\":{n:0-3}}",
	  .logs = "info|XSD validation of JPK_V7M for {period} passed",
	  .errors = "XSD validation failed: element P_15 in SprzedazWiersz {n:1-900}: '' is not a valid value of type TKwotowy|XSD_INVALID\n"
		    "XSD validation failed: element NrKontrahenta: value '{contractor_nip}0' is longer than 10 characters|XSD_INVALID",
	  .cpu_percent = 40, .memory_mb = 220 },
	{ .id = "sign", .name = "Sign", .deps = "validate-xsd", .mean_ms = 900, .fail_permille = 10,
	  .input = "{\"method\":\"podpis kwalifikowany\",\"certificate\":\"CN={approver}\"}",
	  .output = "{\"signature\":\"XAdES-BES\"}",
	  .logs = "info|Plik podpisany podpisem kwalifikowanym ({approver})",
	  .errors = "Certyfikat kwalifikowany {approver} wygasł|CERT_EXPIRED",
	  .cpu_percent = 10, .memory_mb = 40 },
	{ .id = "submit", .name = "Submit to e-Deklaracje", .deps = "sign", .mean_ms = 2500,
	  .fail_permille = 30, .input = "{\"gateway\":\"https://e-dokumenty.mf.gov.pl\",\"period\":\"{period}\"}",
	  .output = "{\"reference\":\"{n:10000000-99999999}a{n:1000-9999}\",\"upo_status\":200}",
	  .logs = "info|Wysłano JPK_V7M za {period}, oczekiwanie na UPO",
	  .success_log = "info|UPO received: status 200",
	  .errors = "Bramka e-Deklaracje: status 413, dokument odrzucony|SUBMIT_REJECTED\n"
		    "e-Deklaracje gateway timeout after 60s|SUBMIT_TIMEOUT",
	  .cpu_percent = 5, .memory_mb = 35 },
};

static const struct sim_step_def sync_steps[] = {
	{ .id = "prepare-range", .name = "Prepare date range", .deps = "", .mean_ms = 300,
	  .input = "{\"date_from\":\"{date_from}\",\"date_to\":\"{date_to}\"}",
	  .output = "{\"days\":{days}}",
	  .logs = "info|Synchronizing {days} days: {date_from} .. {date_to}", .cpu_percent = 3,
	  .memory_mb = 20 },
	{ .id = "fetch-meta-insights", .name = "Fetch Meta insights", .deps = "prepare-range",
	  .mean_ms = 5000, .fail_permille = 30,
	  .input = "{\"ad_account\":\"act_{n:100000000-999999999}\",\"date_from\":\"{date_from}\",\"date_to\":\"{date_to}\","
		   "\"fields\":[\"spend\",\"impressions\",\"clicks\"]}",
	  .output = "{\"rows\":{n:100-4000},\"spend_pln\":\"{amt:500-90000}\"}",
	  .logs = "info|Meta Graph API v19.0: pobieranie statystyk kampanii\n"
		  "warn|Meta API throttled, waiting {n:2-30} s",
	  .errors = "Meta Graph API error 17: User request limit reached|META_RATE_LIMIT\n"
		    "Meta Graph API error 190: access token expired|META_TOKEN_EXPIRED",
	  .unit = "days", .total = "{days}", .counter = "Meta insights fetched",
	  .counter_step = "{n:40-400}", .cpu_percent = 15, .memory_mb = 110 },
	{ .id = "fetch-pos-orders", .name = "Fetch POS orders", .deps = "prepare-range",
	  .mean_ms = 5000, .fail_permille = 25,
	  .input = "{\"locations\":{n:1-12},\"date_from\":\"{date_from}\",\"date_to\":\"{date_to}\"}",
	  .output = "{\"orders\":{n:500-20000},\"revenue_pln\":\"{amt:10000-900000}\"}",
	  .logs = "info|POS: fetching orders of {n:1-12} locations\n"
		  "info|Pobrano zamówienia POS z {n:1-12} lokali",
	  .errors = "POS API returned HTTP 502 for {date_from}|POS_HTTP_502",
	  .unit = "days", .total = "{days}", .counter = "POS orders fetched",
	  .counter_step = "{n:50-900}", .cpu_percent = 20, .memory_mb = 130 },
	{ .id = "merge-and-load", .name = "Merge and load to warehouse", .deps = "fetch-meta-insights fetch-pos-orders",
	  .mean_ms = 1800, .fail_permille = 10, .input = "{\"target\":\"dwh.sales_daily\",\"mode\":\"upsert\"}",
	  .output = "{\"rows_upserted\":{n:600-24000}}",
	  .logs = "info|Loaded daily sales into dwh.sales_daily",
	  .errors = "duplicate key value violates unique constraint \"sales_daily_pkey\"|DWH_CONFLICT",
	  .cpu_percent = 45, .memory_mb = 260 },
	{ .id = "refresh-reports", .name = "Refresh reports", .deps = "merge-and-load", .mean_ms = 900,
	  .input = "{\"reports\":[\"ROAS\",\"sprzedaż dzienna\"]}", .output = "{\"refreshed\":2}",
	  .logs = "info|Raporty ROAS i sprzedaży dziennej odświeżone", .cpu_percent = 25,
	  .memory_mb = 100 },
};

static const struct sim_workflow_def sim_workflows[] = {
	{ "invoice-processing", "Invoice processing", 30, 10, 25,
	  "{\"invoice_no\":\"{invoice_no}\",\"contractor\":\"{contractor}\",\"gross_pln\":\"{gross}\"}",
	  "{\"invoice_no\":\"{invoice_no}\",\"booked\":true}", STEPS(invoice_steps) },
	{ "document-approval", "Document approval", 15, 5, 30,
	  "{\"document\":\"{doc_no}\",\"approver\":\"{approver}\"}",
	  "{\"document\":\"{doc_no}\",\"decision\":\"approved\"}", STEPS(approval_steps) },
	{ "month-end-closing", "Month-end closing", 3, 40, 0,
	  "{\"period\":\"{period}\",\"company\":\"{company}\",\"nip\":\"{nip}\"}",
	  "{\"period\":\"{period}\",\"status\":\"closed\"}", STEPS(closing_steps) },
	{ "payment-processing", "Payment processing", 20, 40, 5,
	  "{\"batch\":\"{batch_id}\",\"bank\":\"{bank}\"}",
	  "{\"batch\":\"{batch_id}\",\"status\":\"sent\"}", STEPS(payment_steps) },
	{ "vat-calculation", "VAT calculation", 10, 15, 10,
	  "{\"period\":\"{period}\",\"nip\":\"{nip}\"}",
	  "{\"period\":\"{period}\",\"vat_due_pln\":\"{vat_due}\"}", STEPS(vat_steps) },
	{ "jpk-generation", "JPK_V7M generation", 6, 30, 0,
	  "{\"period\":\"{period}\",\"form\":\"JPK_V7M\",\"nip\":\"{nip}\"}",
	  "{\"period\":\"{period}\",\"upo\":true}", STEPS(jpk_steps) },
	{ "daily-sync", "Daily data sync (Meta, POS)", 10, 0, 40,
	  "{\"date_from\":\"{date_from}\",\"date_to\":\"{date_to}\"}",
	  "{\"days\":{days}}", STEPS(sync_steps) },
};

size_t sim_workflow_count(void)
{
	return sizeof sim_workflows / sizeof sim_workflows[0];
}

const struct sim_workflow_def *sim_workflow_get(size_t i)
{
	return i < sim_workflow_count() ? &sim_workflows[i] : NULL;
}

const struct sim_workflow_def *sim_workflow_find(const char *id)
{
	for (size_t i = 0; i < sim_workflow_count(); i++)
		if (strcmp(sim_workflows[i].id, id) == 0)
			return &sim_workflows[i];
	return NULL;
}

static int sim_step_index(const struct sim_workflow_def *wf, const char *id, size_t len)
{
	for (size_t i = 0; i < wf->nsteps; i++)
		if (strlen(wf->steps[i].id) == len && strncmp(wf->steps[i].id, id, len) == 0)
			return (int)i;
	return -1;
}

int sim_step_deps(const struct sim_workflow_def *wf, size_t step, size_t *idx, size_t max)
{
	const char *p = wf->steps[step].deps;
	size_t n = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		int i = sim_step_index(wf, p, len);
		if (i < 0 || n == max)
			return -1;
		idx[n++] = (size_t)i;
		p += len;
	}
	return (int)n;
}

/* Kahn's algorithm: the graph is a DAG iff every step can be ordered. */
static int sim_workflow_check(const struct sim_workflow_def *wf, char *cause, size_t causelen)
{
	int indeg[PROTO_MAX_STEPS] = { 0 };
	size_t deps[PROTO_MAX_STEPS][8];
	int ndeps[PROTO_MAX_STEPS];
	if (wf->nsteps == 0 || wf->nsteps > PROTO_MAX_STEPS) {
		snprintf(cause, causelen, "workflow %s has %zu steps", wf->id, wf->nsteps);
		return -1;
	}
	for (size_t i = 0; i < wf->nsteps; i++) {
		if (sim_step_index(wf, wf->steps[i].id, strlen(wf->steps[i].id)) != (int)i) {
			snprintf(cause, causelen, "workflow %s: step id %s is repeated", wf->id,
				 wf->steps[i].id);
			return -1;
		}
		ndeps[i] = sim_step_deps(wf, i, deps[i], 8);
		if (ndeps[i] < 0) {
			snprintf(cause, causelen, "workflow %s: step %s has an unknown dependency",
				 wf->id, wf->steps[i].id);
			return -1;
		}
		indeg[i] = ndeps[i];
	}
	size_t order = 0;
	bool done[PROTO_MAX_STEPS] = { false };
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < wf->nsteps; i++) {
			if (done[i] || indeg[i] > 0)
				continue;
			done[i] = true;
			order++;
			progress = true;
			for (size_t j = 0; j < wf->nsteps; j++)
				for (int k = 0; k < ndeps[j]; k++)
					if (deps[j][k] == i)
						indeg[j]--;
		}
	}
	if (order != wf->nsteps) {
		snprintf(cause, causelen, "workflow %s: the dependencies form a cycle", wf->id);
		return -1;
	}
	return 0;
}

int sim_catalog_check(char *cause, size_t causelen)
{
	for (size_t i = 0; i < sim_workflow_count(); i++)
		if (sim_workflow_check(&sim_workflows[i], cause, causelen) < 0)
			return -1;
	return 0;
}
