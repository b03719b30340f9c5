package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress line redraw intervals: a terminal line is redrawn in place a few
// times a second; elsewhere (a log file) a line is appended once a second.
const (
	progressEveryTTY  = 200 * time.Millisecond
	progressEveryFile = time.Second
	progressBarWidth  = 24
)

// progress draws a long command's progress line (migrate, purge): on a
// terminal a bar redrawn in place with a carriage return; elsewhere each
// update is a new line. Updates closer together than the interval are
// dropped. It is not safe for concurrent use.
type progress struct {
	w      io.Writer
	label  string // "migrate", "purge"
	tty    bool
	every  time.Duration
	now    func() time.Time
	begin  time.Time
	last   time.Time // when the line was last drawn; zero: never
	total  int64     // entries to process; negative: unknown
	drawn  int       // length of the line on screen (tty)
	redraw bool      // the line was cleared and must be drawn again
}

// newProgress returns a progress line for the command label on w; tty
// says whether w is a terminal.
func newProgress(w io.Writer, label string, tty bool, now func() time.Time) *progress {
	every := progressEveryFile
	if tty {
		every = progressEveryTTY
	}
	return &progress{w: w, label: label, tty: tty, every: every, now: now, total: -1}
}

// start records the number of entries to process (negative: unknown) and
// starts the clock the rate is measured by.
func (p *progress) start(total int64) {
	p.total = total
	p.begin = p.now()
}

// update draws done entries of the total, followed by detail(), if the
// interval has passed since the last drawing; detail is called only then.
func (p *progress) update(done int64, detail func() string) {
	now := p.now()
	if !p.last.IsZero() && now.Sub(p.last) < p.every && !p.redraw {
		return
	}
	p.last = now
	p.draw(done, detail(), now)
}

// finish removes the line from a terminal: the caller prints the summary
// in its place.
func (p *progress) finish() {
	p.clear()
	p.redraw = false
}

// clear removes the line from a terminal so that a message can be printed;
// the next update draws it again.
func (p *progress) clear() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
		p.redraw = true
	}
}

func (p *progress) draw(done int64, detail string, now time.Time) {
	p.redraw = false
	var b strings.Builder
	b.WriteString(p.label + ": ")
	if p.total >= 0 {
		frac := 1.0
		if p.total > 0 {
			frac = min(float64(done)/float64(p.total), 1)
		}
		if p.tty {
			n := int(frac * progressBarWidth)
			b.WriteString("[" + strings.Repeat("#", n) + strings.Repeat(".", progressBarWidth-n) + "] ")
		}
		fmt.Fprintf(&b, "%d/%d (%.0f%%) ", done, p.total, frac*100)
	} else {
		fmt.Fprintf(&b, "%d ", done)
	}
	b.WriteString(detail)
	if el := now.Sub(p.begin); el >= time.Second && !p.begin.IsZero() {
		fmt.Fprintf(&b, ", %.0f/s", float64(done)/el.Seconds())
	}
	line := b.String()
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := ""
	if p.drawn > len(line) {
		pad = strings.Repeat(" ", p.drawn-len(line))
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.drawn = len(line)
}

// formatBytes writes n in bytes, KiB, MiB or GiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 2 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB"}[i])
}

// showProgress decides whether a command draws progress: as its -progress
// flag says when it was given, else when w is a terminal.
func showProgress(flagSet bool, flag bool, w io.Writer) bool {
	if flagSet {
		return flag
	}
	return isTerminal(w)
}

// isTerminal reports whether w is a terminal (a character device other
// than the null device), without a dependency on x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}
