package main

import (
	"fmt"
	"io"
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

// progress draws migrate's progress line. On a terminal the line is
// redrawn in place with a carriage return; elsewhere each update is a new
// line. Updates closer together than the interval are dropped. It is not
// safe for concurrent use.
type progress struct {
	w      io.Writer
	tty    bool
	every  time.Duration
	now    func() time.Time
	begin  time.Time
	last   time.Time // when the line was last drawn; zero: never
	total  int64     // entries to copy; negative: unknown
	drawn  int       // length of the line on screen (tty)
	redraw bool      // the line was cleared and must be drawn again
}

func newProgress(w io.Writer, tty bool, now func() time.Time) *progress {
	every := progressEveryFile
	if tty {
		every = progressEveryTTY
	}
	return &progress{w: w, tty: tty, every: every, now: now, total: -1}
}

// start records the number of entries to copy (negative: unknown) and
// starts the clock the rate is measured by.
func (p *progress) start(total int64) {
	p.total = total
	p.begin = p.now()
}

// update draws c if the interval has passed since the last drawing.
func (p *progress) update(c migrateCounts) {
	now := p.now()
	if !p.last.IsZero() && now.Sub(p.last) < p.every && !p.redraw {
		return
	}
	p.last = now
	p.draw(c, now)
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

func (p *progress) draw(c migrateCounts, now time.Time) {
	p.redraw = false
	done := c.copied + c.skipped + c.failed
	var b strings.Builder
	b.WriteString("migrate: ")
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
	fmt.Fprintf(&b, "copied %d, skipped %d, failed %d, %s", c.copied, c.skipped, c.failed, formatBytes(c.bytes))
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
