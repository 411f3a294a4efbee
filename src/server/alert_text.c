/* alert_text.c: the fixed notification texts in English and Polish.
 *
 * Invariant: every text has both languages (the table is checked by the unit
 * test); an unknown or missing language falls back to English. The Polish
 * strings are UTF-8 with diacritics. */
#include "alert.h"

#include <string.h>

enum text_lang { LANG_EN, LANG_PL, LANG__COUNT };

static const char *const texts[TXT__COUNT][LANG__COUNT] = {
	[TXT_EXECUTION_STARTED] = { "Workflow execution started", "Wykonanie workflow rozpoczęte" },
	[TXT_EXECUTION_COMPLETED] = { "Workflow execution completed successfully",
				      "Wykonanie workflow zakończone pomyślnie" },
	[TXT_EXECUTION_FAILED] = { "Workflow execution failed", "Wykonanie workflow nie powiodło się" },
	[TXT_STEP_COMPLETED] = { "Step completed", "Krok zakończony" },
	[TXT_STEP_FAILED] = { "Step failed", "Krok nie powiódł się" },
	[TXT_ALERT_TRIGGERED] = { "Alert triggered", "Wyzwolono alert" },
	[TXT_ALERT_ACKNOWLEDGED] = { "Alert acknowledged", "Alert został potwierdzony" },
	[TXT_QUEUE_BACKLOG] = { "Queue backlog detected", "Wykryto zaległości w kolejce" },
	[TXT_RESOURCE_WARNING] = { "System resource warning", "Ostrzeżenie o zasobach systemu" },
	[TXT_PERFORMANCE_DEGRADED] = { "Performance degradation detected", "Wykryto spadek wydajności" },
};

static enum text_lang text_lang(const char *language)
{
	if (language != NULL && strcmp(language, "pl") == 0)
		return LANG_PL;
	return LANG_EN;
}

const char *alert_text(enum alert_text t, const char *language)
{
	if ((unsigned)t >= TXT__COUNT)
		return NULL;
	return texts[t][text_lang(language)];
}
