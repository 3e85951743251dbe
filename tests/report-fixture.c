/* report-fixture: write the HTML report of the unit test's fixture
 * (tests/unit/report-fixture.h) to FILE, for the render test in
 * tests/report.bats.
 *
 *   report-fixture FILE
 */
#include <stdio.h>

#include "diag.h"
#include "output.h"
#include "report_html.h"
#include "strbuf.h"
#include "unit/report-fixture.h"

int main(int argc, char **argv)
{
	diag_init("report-fixture");
	if (argc != 2) {
		fprintf(stderr, "usage: report-fixture FILE\n");
		return 2;
	}
	struct report r = report_fixture();
	struct strbuf html = STRBUF_INIT;
	report_html(&r, &html);
	struct output o;
	if (output_open(&o, argv[1], 0))
		return 1;
	output_write(&o, html.buf, html.len);
	strbuf_release(&html);
	return output_close(&o) ? 1 : 0;
}
