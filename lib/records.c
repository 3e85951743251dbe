/* records.c: the threaded, order-keeping record loop; see records.h.
 *
 * Blocks circulate through a ring of slots: the reader fills a free slot,
 * a worker claims the oldest filled one and turns it into an emit, and
 * the writer (the calling thread) takes the slots back in sequence. The
 * ring bounds the memory in flight to a few blocks per worker.
 */
#include "records.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "alloc.h"
#include "base64.h"
#include "diag.h"
#include "format_hint.h"
#include "input.h"
#include "json.h"
#include "output.h"

/* How many invalid records are reported one by one under --skip-invalid. */
#define MAX_INVALID_WARNINGS 10

enum slot_state { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

struct slot {
	struct block block;
	struct emit emit;
	enum slot_state state;
	int operand;		/* the index of the file the block is from */
	/* For the progress line: the input the block is from, and how
	 * many bytes of the inputs (as stored: compressed ones compressed)
	 * were read when it was filled. */
	const char *name;
	uint64_t read_to;
};

struct loop_state {
	struct record_loop *rl;
	struct slot *slots;
	size_t nslots;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	uint64_t nread;		/* blocks filled by the reader */
	uint64_t nclaimed;	/* blocks claimed by workers */
	int reader_done;
	int stop;		/* the writer saw a fatal error */
	int read_failed;	/* an input could not be read */
	uint64_t input_size;	/* the inputs' bytes; 0: not known */
	/* For the progress line between blocks: the run's start, and the
	 * input and bytes read of the block the ordered stage has now. */
	double start;
	const char *name;
	uint64_t read_to;
	double cpu_read, cpu_work;	/* the threads' CPU seconds, under lock */
};

static void emit_init(struct emit *e)
{
	memset(e, 0, sizeof(*e));
	strbuf_init(&e->out);
	strbuf_init(&e->rejects);
	strbuf_init(&e->warnings);
	strbuf_init(&e->fatal);
	strbuf_init(&e->side);
}

static void emit_reset(struct emit *e, const struct cli_common *c)
{
	strbuf_reset(&e->out);
	strbuf_reset(&e->rejects);
	strbuf_reset(&e->warnings);
	strbuf_reset(&e->fatal);
	strbuf_reset(&e->side);
	e->npieces = 0;
	e->share = 1;
	e->stopped = 0;
	e->records = e->emitted = e->invalid = e->rejected = e->bytes = e->no_field = 0;
	e->common = c;
}

static void emit_release(struct emit *e)
{
	strbuf_release(&e->out);
	free(e->piece);
	strbuf_release(&e->rejects);
	strbuf_release(&e->warnings);
	strbuf_release(&e->fatal);
	strbuf_release(&e->side);
}

/* Add n bytes at `at` (NULL: the end of e->out) to the output, as a
 * longer last piece when they follow it directly. */
static void add_piece(struct emit *e, const char *at, size_t n)
{
	size_t off = at ? 0 : e->out.len - n;
	if (e->npieces) {
		struct emit_piece *last = &e->piece[e->npieces - 1];
		if (at ? last->at && last->at + last->len == at : !last->at) {
			last->len += n;
			return;
		}
	}
	if (e->npieces == e->pieces_cap) {
		e->pieces_cap = grow_capacity(e->pieces_cap, e->npieces + 1, 16);
		e->piece = xreallocarray(e->piece, e->pieces_cap, sizeof(*e->piece));
	}
	e->piece[e->npieces++] = (struct emit_piece){ at, off, n };
}

void emit_record(struct emit *e, const struct record *r)
{
	/* Zero-copy when the line ends in a plain newline: a run of such
	 * lines, however many records were dropped or edited around it,
	 * goes out from the block itself. (Known from the record, not read
	 * from the line: an ordered stage comes to it long after the worker,
	 * and the line is out of the caches by then.) */
	if (e->share && r->plain_end) {
		e->emitted++;
		add_piece(e, r->line, r->len + 1);
		return;
	}
	emit_line(e, r->line, r->len);
}

void emit_line(struct emit *e, const char *p, size_t n)
{
	e->emitted++;
	strbuf_grow(&e->out, n + 1);
	strbuf_add(&e->out, p, n);
	strbuf_addc(&e->out, '\n');
	add_piece(e, NULL, n + 1);
}

/* Write e's output pieces to o. */
static void write_pieces(struct output *o, const struct emit *e)
{
	for (size_t i = 0; i < e->npieces; i++) {
		const struct emit_piece *pc = &e->piece[i];
		output_write(o, pc->at ? pc->at : e->out.buf + pc->off, pc->len);
	}
}

static void add_reject_info(struct strbuf *sb, const struct record *r, const char *reason)
{
	strbuf_addstr(sb, "{\"reason\":");
	json_add_cstr(sb, reason);
	strbuf_addstr(sb, ",\"file\":");
	json_add_cstr(sb, r->file);
	strbuf_addf(sb, ",\"line\":%llu}", (unsigned long long)r->lineno);
}

void emit_reject(struct emit *e, const struct record *r, const char *reason)
{
	e->rejected++;
	if (!e->common->rejects)
		return;
	struct strbuf info = STRBUF_INIT, line = STRBUF_INIT;
	add_reject_info(&info, r, reason);
	json_set_member(&line, r->line, r->len, "reject", info.buf, info.len);
	strbuf_add(&e->rejects, line.buf, line.len);
	strbuf_addc(&e->rejects, '\n');
	strbuf_release(&info);
	strbuf_release(&line);
}

int emit_invalid(struct emit *e, const struct record *r, const char *reason)
{
	if (!e->common->skip_invalid) {
		strbuf_addf(&e->fatal, "%s:%llu: %s", r->file, (unsigned long long)r->lineno, reason);
		e->stopped = 1;
		return -1;
	}
	e->invalid++;
	strbuf_addf(&e->warnings, "%s:%llu: %s (skipped)\n", r->file,
		    (unsigned long long)r->lineno, reason);
	if (e->common->rejects) {
		/* The line may not be JSON at all: keep its bytes as a string,
		 * or in base64 when they are not valid UTF-8. */
		strbuf_addstr(&e->rejects, "{\"reject\":");
		add_reject_info(&e->rejects, r, reason);
		if (utf8_valid(r->line, r->len)) {
			strbuf_addstr(&e->rejects, ",\"raw\":");
			json_add_string(&e->rejects, r->line, r->len);
		} else {
			strbuf_addstr(&e->rejects, ",\"raw_base64\":\"");
			base64_encode(&e->rejects, r->line, r->len);
			strbuf_addc(&e->rejects, '"');
		}
		strbuf_addstr(&e->rejects, "}\n");
	}
	return -1;
}

int record_has_text(const struct record *r, struct emit *e)
{
	const char *field = e->common->field;
	if (r->field.type == JSON_STRING)
		return 0;
	char msg[256];
	if (r->field.type == JSON_NONE) {
		snprintf(msg, sizeof(msg), "no member \"%.200s\"", field);
		e->no_field += e->common->skip_invalid != 0;
	}
	else
		snprintf(msg, sizeof(msg), "member \"%.200s\" is not a string", field);
	return emit_invalid(e, r, msg);
}

int record_text(const struct record *r, struct emit *e, struct strbuf *scratch,
		const char **text, size_t *len)
{
	if (record_has_text(r, e) < 0)
		return -1;
	if (json_string_plain(&r->field, text, len))
		return 0;
	strbuf_reset(scratch);
	json_decode_string(&r->field, scratch);
	*text = scratch->buf;
	*len = scratch->len;
	return 0;
}

/* The name of a record without an id: FILE:LINE. */
static void add_file_line(struct strbuf *out, const struct record *r)
{
	strbuf_addf(out, "%s:%llu", r->file, (unsigned long long)r->lineno);
}

void record_id(const struct record *r, const struct cli_common *c, struct strbuf *out)
{
	struct json_value v;
	if (json_get(r->line, r->len, c->id_field, &v)) {
		if (v.type == JSON_STRING) {
			json_decode_string(&v, out);
			return;
		}
		if (v.type == JSON_NUMBER) {
			strbuf_add(out, v.p, v.len);
			return;
		}
	}
	add_file_line(out, r);
}

void record_id_json(const struct record *r, const struct cli_common *c, struct strbuf *out)
{
	struct json_value v;
	if (json_get(r->line, r->len, c->id_field, &v) &&
	    (v.type == JSON_STRING || v.type == JSON_NUMBER)) {
		strbuf_add(out, v.p, v.len);
		return;
	}
	struct strbuf name = STRBUF_INIT;
	add_file_line(&name, r);
	json_add_string(out, name.buf, name.len);
	strbuf_release(&name);
}

/* --- Threads --------------------------------------------------------- */

static void *reader_main(void *arg)
{
	struct loop_state *st = arg;
	struct record_loop *rl = st->rl;
	static char *stdin_only[] = { "-" };
	char **files = rl->nfiles ? rl->files : stdin_only;
	int nfiles = rl->nfiles ? rl->nfiles : 1;
	uint64_t before = 0;	/* the bytes of the inputs before this one */
	for (int i = 0; i < nfiles; i++) {
		struct input in;
		if (input_open(&in, files[i]) < 0) {
			__atomic_store_n(&st->read_failed, 1, __ATOMIC_RELAXED);
			continue;
		}
		for (;;) {
			pthread_mutex_lock(&st->lock);
			struct slot *s = &st->slots[st->nread % st->nslots];
			while (s->state != SLOT_FREE && !st->stop)
				pthread_cond_wait(&st->changed, &st->lock);
			int stop = st->stop;
			pthread_mutex_unlock(&st->lock);
			if (stop)
				break;
			int r = input_read_block(&in, &s->block, rl->block_size ? rl->block_size : BLOCK_SIZE);
			if (r < 0) {
				/* The file is given up; a folder's next goes on. */
				__atomic_store_n(&st->read_failed, 1, __ATOMIC_RELAXED);
				continue;
			}
			if (r == 0)
				break;
			s->operand = i;
			s->name = in.name;
			s->read_to = before + in.bytes_read;
			pthread_mutex_lock(&st->lock);
			s->state = SLOT_FILLED;
			st->nread++;
			pthread_cond_broadcast(&st->changed);
			pthread_mutex_unlock(&st->lock);
		}
		before += in.bytes_read;
		input_close(&in);
		if (__atomic_load_n(&st->stop, __ATOMIC_RELAXED))
			break;
	}
	pthread_mutex_lock(&st->lock);
	st->cpu_read = thread_cpu_seconds();
	st->reader_done = 1;
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static void process_block(struct record_loop *rl, void *worker, struct slot *s)
{
	struct emit *e = &s->emit;
	struct block_cursor cur;
	struct line l;
	struct json_error jerr;
	emit_reset(e, rl->common);
	e->operand = s->operand;
	block_cursor_init(&cur, &s->block);
	e->bytes = s->block.len;
	const char *field = rl->common->field;
	int dotted = strchr(field, '.') != NULL;
	while (!e->stopped && block_next_line(&s->block, &cur, &l)) {
		struct record r = { l.p, l.len, s->block.name, l.lineno, { NULL, 0, JSON_NONE, 0 },
				    l.p[l.len] == '\n' };
		e->records++;
		/* A plain field name is found while the record is checked; a
		 * dotted path needs a walk afterwards. */
		if (json_check_record_member(l.p, l.len, dotted ? NULL : field, &r.field, &jerr) < 0) {
			char msg[256];
			/* The first record of a file: a file of another format
			 * gets a hint instead of "unexpected character". */
			const char *looks = s->block.first_line == 1 && e->records == 1
						    ? format_hint(l.p, l.len, &jerr)
						    : NULL;
			if (looks)
				format_hint_message(msg, sizeof(msg), &jerr, looks);
			else if (jerr.offset == (size_t)-1)
				snprintf(msg, sizeof(msg), "%s", jerr.msg);
			else
				snprintf(msg, sizeof(msg), "%s at byte %zu", jerr.msg, jerr.offset + 1);
			emit_invalid(e, &r, msg);
			continue;
		}
		if (dotted)
			json_get(l.p, l.len, field, &r.field);
		rl->process(worker, &r, e);
	}
}

struct worker_arg {
	struct loop_state *st;
	void *worker;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct loop_state *st = wa->st;
	for (;;) {
		pthread_mutex_lock(&st->lock);
		while (st->nclaimed == st->nread && !st->reader_done)
			pthread_cond_wait(&st->changed, &st->lock);
		if (st->nclaimed == st->nread) {
			st->cpu_work += thread_cpu_seconds();
			pthread_mutex_unlock(&st->lock);
			return NULL;
		}
		struct slot *s = &st->slots[st->nclaimed % st->nslots];
		st->nclaimed++;
		s->state = SLOT_BUSY;
		int stop = st->stop;
		pthread_mutex_unlock(&st->lock);
		if (!stop)
			process_block(st->rl, wa->worker, s);
		else
			emit_reset(&s->emit, st->rl->common);
		pthread_mutex_lock(&st->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&st->changed);
		pthread_mutex_unlock(&st->lock);
	}
}

/* The bytes of the inputs as stored, where every one is a regular file
 * (standard input too: what is left of it); 0 when one is not, as a pipe
 * or a folder, or cannot be looked at (the read says why). */
static uint64_t input_size(const struct record_loop *rl)
{
	uint64_t total = 0;
	for (int i = 0; i < (rl->nfiles ? rl->nfiles : 1); i++) {
		const char *path = rl->nfiles ? rl->files[i] : "-";
		struct stat sb;
		off_t at = 0;
		if (!strcmp(path, "-")) {
			if (fstat(0, &sb) < 0 || !S_ISREG(sb.st_mode) || (at = lseek(0, 0, SEEK_CUR)) < 0)
				return 0;
		} else if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			return 0;
		}
		if (sb.st_size > at)
			total += (uint64_t)(sb.st_size - at);
	}
	return total;
}

/* A span of time for people: "1.5 s", "42 s", "3 min 05 s", "2 h 07 min". */
static void add_duration(struct strbuf *sb, double secs)
{
	uint64_t s = secs > 0 && secs < 1e9 ? (uint64_t)(secs + 0.5) : 0;
	if (secs < 9.95)
		strbuf_addf(sb, "%.1f s", secs > 0 ? secs : 0.0);
	else if (s < 60)
		strbuf_addf(sb, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		strbuf_addf(sb, "%llu min %02llu s", (unsigned long long)(s / 60),
			    (unsigned long long)(s % 60));
	else
		strbuf_addf(sb, "%llu h %02llu min", (unsigned long long)(s / 3600),
			    (unsigned long long)(s / 60 % 60));
}

/* "synth-dedup: deduplicating day.jsonl: 37%, 6.8 s left, 120000
 * records, 480.2 MB in 4.0 s (120 MB/s)": the phase, the input the block
 * just written came from, where the size of the inputs is known how far
 * the run is and how long the rest takes at the speed so far (first, so
 * that a narrow terminal cuts the counts rather than these), then the
 * counts. */
static void show_progress(const struct record_loop *rl, const struct loop_state *st)
{
	struct strbuf line = STRBUF_INIT;
	double secs = now_seconds() - st->start;
	strbuf_addf(&line, "%s: %s %s: ", progname, rl->phase ? rl->phase : "reading",
		    st->name ? st->name : "<stdin>");
	if (st->input_size) {
		uint64_t done = st->read_to < st->input_size ? st->read_to : st->input_size;
		double part = (double)done / (double)st->input_size;
		strbuf_addf(&line, "%.0f%%, ", floor(100 * part));
		if (part > 0) {
			add_duration(&line, secs * (1 - part) / part);
			strbuf_addstr(&line, " left, ");
		}
	}
	strbuf_addf(&line, "%llu records, %.1f MB in ", (unsigned long long)rl->records,
		    (double)rl->bytes / 1e6);
	add_duration(&line, secs);
	double rate = secs > 0 ? (double)rl->bytes / 1e6 / secs : 0.0;
	strbuf_addf(&line, " (%.*f MB/s)", rate_decimals(rate), rate);
	if (rl->progress_more)
		rl->progress_more(rl->arg, &line);
	progress_show(line.buf);
	strbuf_release(&line);
}

void emit_progress(struct emit *e)
{
	struct loop_state *st = e->loop;
	if (st && e->common && e->common->progress && progress_due())
		show_progress(st->rl, st);
}

/* The inputs for a message: "--against a.jsonl, b.jsonl", "<stdin>". */
static void describe_inputs(const struct record_loop *rl, struct strbuf *sb)
{
	enum { SHOWN = 3 };
	if (rl->what)
		strbuf_addf(sb, "%s ", rl->what);
	if (!rl->nfiles) {
		strbuf_addstr(sb, "<stdin>");
		return;
	}
	for (int i = 0; i < rl->nfiles && i < SHOWN; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "",
			    strcmp(rl->files[i], "-") ? rl->files[i] : "<stdin>");
	if (rl->nfiles > SHOWN)
		strbuf_addf(sb, " and %d more", rl->nfiles - SHOWN);
}

/* A run that read no valid record, after a run whose status so far is
 * rc: returns rc, or 2 after the error that it found nothing to work on;
 * an empty input that may be normal is only warned about. */
static int check_something_read(const struct record_loop *rl, int rc)
{
	if (rc || rl->records > rl->invalid || (!rl->records && rl->empty == EMPTY_CHECKED))
		return rc;
	struct strbuf subject = STRBUF_INIT;
	describe_inputs(rl, &subject);
	if (rl->records) {
		/* The likeliest mistake, when every record says so: the text
		 * is in a member of another name. */
		char hint[300] = "";
		if (rl->no_field == rl->records)
			snprintf(hint, sizeof(hint), " (none has a member \"%.200s\": see --field)",
				 rl->common->field);
		error("%s: no valid record: all %llu were invalid%s", subject.buf,
		      (unsigned long long)rl->records, hint);
		rc = 2;
	} else if (rl->empty == EMPTY_FAILS) {
		error("%s: no record", subject.buf);
		rc = 2;
	} else {
		warning("%s: no record", subject.buf);
	}
	strbuf_release(&subject);
	return rc;
}

int record_loop_run(struct record_loop *rl)
{
	const struct cli_common *c = rl->common;
	struct loop_state st;
	memset(&st, 0, sizeof(st));
	st.rl = rl;
	rl->nworkers = c->jobs ? c->jobs : 1;
	st.nslots = 2 * (size_t)rl->nworkers + 2;
	st.slots = xcalloc(st.nslots, sizeof(*st.slots));
	for (size_t i = 0; i < st.nslots; i++)
		emit_init(&st.slots[i].emit);
	pthread_mutex_init(&st.lock, NULL);
	pthread_cond_init(&st.changed, NULL);

	struct output *out = &rl->out, *rej = &rl->rej;
	int have_out = 0, have_rej = 0;
	memset(out, 0, sizeof(*out));
	memset(rej, 0, sizeof(*rej));
	if (rl->write_records) {
		if (output_open(out, c->output, (int)c->jobs) < 0)
			diag_exit(1);
		have_out = 1;
	}
	if (rl->rejects) {
		rej = rl->rejects;
		have_rej = 1;
	} else if (c->rejects) {
		if (output_open(rej, c->rejects, (int)c->jobs) < 0)
			diag_exit(1);
		have_rej = 1;
	}

	rl->workers = xcalloc(rl->nworkers, sizeof(*rl->workers));
	struct worker_arg *wa = xcalloc(rl->nworkers, sizeof(*wa));
	for (unsigned i = 0; i < rl->nworkers; i++)
		rl->workers[i] = rl->worker_new(rl->arg);
	double start = now_seconds();
	st.start = start;
	if (c->progress)
		st.input_size = input_size(rl);
	double cpu_start = thread_cpu_seconds();
	pthread_t reader;
	if (pthread_create(&reader, NULL, reader_main, &st))
		die("cannot start a thread");
	for (unsigned i = 0; i < rl->nworkers; i++) {
		wa[i].st = &st;
		wa[i].worker = rl->workers[i];
		if (pthread_create(&wa[i].thread, NULL, worker_main, &wa[i]))
			die("cannot start a thread");
	}

	int fatal = 0;
	uint64_t warned = 0;
	for (uint64_t seq = 0;; seq++) {
		pthread_mutex_lock(&st.lock);
		struct slot *s = &st.slots[seq % st.nslots];
		while (!(seq < st.nread && s->state == SLOT_DONE) &&
		       !(st.reader_done && seq == st.nread))
			pthread_cond_wait(&st.changed, &st.lock);
		if (seq == st.nread && st.reader_done) {
			pthread_mutex_unlock(&st.lock);
			break;
		}
		pthread_mutex_unlock(&st.lock);

		struct emit *e = &s->emit;
		st.name = s->name;
		st.read_to = s->read_to;
		e->loop = &st;
		if (!fatal) {
			if (rl->ordered)
				rl->ordered(rl->arg, e);
			rl->records += e->records;
			rl->emitted += e->emitted;
			rl->invalid += e->invalid;
			rl->no_field += e->no_field;
			rl->rejected += e->rejected;
			rl->bytes += e->bytes;
			if (have_out)
				write_pieces(out, e);
			if (have_rej)
				output_write(rej, e->rejects.buf, e->rejects.len);
			/* Warnings, one line each, up to the limit. */
			for (const char *p = e->warnings.buf; *p && warned < MAX_INVALID_WARNINGS;) {
				const char *nl = strchr(p, '\n');
				warning("%.*s", (int)(nl - p), p);
				p = nl + 1;
				if (++warned == MAX_INVALID_WARNINGS)
					warning("further invalid records are counted, not shown");
			}
			if (e->stopped) {
				if (e->fatal.len)
					error("%s", e->fatal.buf);
				fatal = 1;
			}
		}
		/* Progress as often as it is due (diag.h). */
		if (c->progress && !fatal && progress_due())
			show_progress(rl, &st);
		pthread_mutex_lock(&st.lock);
		s->state = SLOT_FREE;
		if (fatal)
			__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&st.changed);
		pthread_mutex_unlock(&st.lock);
	}
	pthread_join(reader, NULL);
	for (unsigned i = 0; i < rl->nworkers; i++)
		pthread_join(wa[i].thread, NULL);
	/* What the ordered stage held back to the end. */
	if (rl->finish && !fatal) {
		struct emit fe;
		emit_init(&fe);
		emit_reset(&fe, c);
		fe.share = 0;
		fe.loop = &st;
		rl->finish(rl->arg, &fe);
		if (fe.stopped) {
			if (fe.fatal.len)
				error("%s", fe.fatal.buf);
			fatal = 1;
		} else {
			rl->emitted += fe.emitted;
			rl->rejected += fe.rejected;
			if (have_out)
				write_pieces(out, &fe);
			if (have_rej)
				output_write(rej, fe.rejects.buf, fe.rejects.len);
		}
		emit_release(&fe);
	}
	rl->seconds = now_seconds() - start;
	rl->cpu_order = thread_cpu_seconds() - cpu_start;
	rl->cpu_read = st.cpu_read;
	rl->cpu_work = st.cpu_work;
	rl->cpu_tasks = 0;
	if (c->progress)
		progress_clear();

	int rc = fatal ? 2 : __atomic_load_n(&st.read_failed, __ATOMIC_RELAXED) ? 1 : 0;
	rc = check_something_read(rl, rc);
	if (!rl->hold_outputs)
		rc = record_loop_end(rl, rc, NULL, 0);
	if (rl->invalid && rl->invalid < rl->records)
		warning("%llu invalid record%s skipped", (unsigned long long)rl->invalid,
			rl->invalid == 1 ? "" : "s");

	for (size_t i = 0; i < st.nslots; i++) {
		block_release(&st.slots[i].block);
		emit_release(&st.slots[i].emit);
	}
	free(st.slots);
	free(wa);
	pthread_mutex_destroy(&st.lock);
	pthread_cond_destroy(&st.changed);
	return rc;
}

int record_loop_end(struct record_loop *rl, int rc, struct output *const *also, size_t nalso)
{
	/* A file under -o is all or nothing: kept only when the whole run
	 * succeeded; a stream keeps what was processed before the failure,
	 * as any filter would. */
	struct output **all = xcalloc(nalso + 2, sizeof(*all));
	all[0] = &rl->out;
	all[1] = &rl->rej;
	for (size_t i = 0; i < nalso; i++)
		all[i + 2] = also[i];
	if (outputs_end(all, nalso + 2, rc != 0) < 0)
		rc = rc ? rc : 1;
	free(all);
	return rc;
}

void record_loop_release(struct record_loop *rl, void (*fn)(void *worker))
{
	for (unsigned i = 0; i < rl->nworkers; i++)
		fn(rl->workers[i]);
	free(rl->workers);
	rl->workers = NULL;
	rl->nworkers = 0;
}

void record_loop_summary(const struct record_loop *rl)
{
	double mb = (double)rl->bytes / 1e6;
	double rate = rl->seconds > 0 ? mb / rl->seconds : 0.0;
	info("%llu records in, %llu out, %llu invalid, %llu rejected; %.1f MB in %.2f s (%.*f MB/s)",
	     (unsigned long long)rl->records, (unsigned long long)rl->emitted,
	     (unsigned long long)rl->invalid, (unsigned long long)rl->rejected, mb, rl->seconds,
	     rate_decimals(rate), rate);
	double cpu = rl->cpu_read + rl->cpu_work + rl->cpu_tasks + rl->cpu_order;
	if (cpu <= 0)
		return;
	char tasks[64] = "";
	if (rl->cpu_tasks > 0)
		snprintf(tasks, sizeof(tasks), ", its tasks on the pool %.2f s (%.1f%%)",
			 rl->cpu_tasks, 100 * rl->cpu_tasks / cpu);
	info("CPU %.2f s: reading %.2f s (%.1f%%), workers %.2f s (%.1f%%), in order %.2f s (%.1f%%)%s",
	     cpu, rl->cpu_read, 100 * rl->cpu_read / cpu, rl->cpu_work, 100 * rl->cpu_work / cpu,
	     rl->cpu_order, 100 * rl->cpu_order / cpu, tasks);
}
