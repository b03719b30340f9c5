package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// Lifetimes on the command line (--expire-after, --stale-if-error) and in a
// rules file (--rules) are Go durations (90s, 15m, 1h30m), whole days (7d),
// or a word for the special values of the library.
var expiryWords = map[string]time.Duration{
	"never":       cachedhttp.NeverExpire,
	"immediately": cachedhttp.ExpireImmediately,
	// Not HTTP's no-cache (store, then revalidate before every use: that
	// is "immediately"), but requests-cache's DO_NOT_CACHE.
	"no-cache":     cachedhttp.DoNotCache,
	"do-not-cache": cachedhttp.DoNotCache,
}

const expiryHelp = "a duration such as 90s, 15m, 1h30m or 7d, or never, immediately, no-cache"

// parseExpiry reads a lifetime for WithExpireAfter or WithURLRule.
func parseExpiry(s string) (time.Duration, error) {
	if d, ok := expiryWords[strings.ToLower(s)]; ok {
		return d, nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want %s", s, expiryHelp)
	}
	return d, nil
}

// parseDuration reads a Go duration >= 0, or a whole number of days (7d).
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("invalid number of days %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

// formatExpiry writes d as parseExpiry reads it.
func formatExpiry(d time.Duration) string {
	for w, v := range expiryWords {
		if v == d && w != "do-not-cache" {
			return w
		}
	}
	return d.String()
}

// expiryValue is a flag holding a lifetime.
type expiryValue struct {
	d   time.Duration
	set bool
}

func (e *expiryValue) String() string {
	if !e.set {
		return ""
	}
	return formatExpiry(e.d)
}

func (e *expiryValue) Set(s string) error {
	d, err := parseExpiry(s)
	if err != nil {
		return err
	}
	e.d, e.set = d, true
	return nil
}

func (e *expiryValue) Type() string { return "DURATION" }

// staleValue is the --stale-if-error flag: a duration, or unlimited.
type staleValue struct {
	d   time.Duration
	set bool
}

func (s *staleValue) String() string {
	switch {
	case !s.set:
		return ""
	case s.d == cachedhttp.NeverExpire:
		return "unlimited"
	}
	return s.d.String()
}

func (s *staleValue) Set(v string) error {
	if strings.EqualFold(v, "unlimited") {
		s.d, s.set = cachedhttp.NeverExpire, true
		return nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return fmt.Errorf("%q: want a duration such as 10m or 1d, or unlimited", v)
	}
	s.d, s.set = d, true
	return nil
}

func (s *staleValue) Type() string { return "DURATION" }

// urlRule is one line of a rules file.
type urlRule struct {
	glob   string
	expire time.Duration
	line   int
}

// maxRuleErrors bounds how many bad lines a rules file error names.
const maxRuleErrors = 10

// parseRules reads a rules file: one "GLOB DURATION" per line, in the
// order they are tried (the first match wins), blank lines and comments
// from a # that starts a line or follows a space skipped. GLOB matches
// host and path as cachedhttp.WithURLRule matches them; DURATION is read
// by parseExpiry. Errors name the file (name) and line, every bad line up
// to maxRuleErrors.
func parseRules(r io.Reader, name string) ([]urlRule, error) {
	var rules []urlRule
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := stripComment(sc.Text())
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		bad := func(format string, args ...any) {
			if len(errs) < maxRuleErrors {
				errs = append(errs, fmt.Errorf("%s:%d: "+format, append([]any{name, n}, args...)...))
			}
		}
		if len(fields) != 2 {
			bad("want GLOB DURATION, got %q", strings.TrimSpace(line))
			continue
		}
		glob := fields[0]
		if _, err := path.Match(glob, ""); err != nil {
			bad("pattern %q: %v", glob, err)
			continue
		}
		d, err := parseExpiry(fields[1])
		if err != nil {
			bad("%v", err)
			continue
		}
		rules = append(rules, urlRule{glob: glob, expire: d, line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

// stripComment removes a comment: from a # at the start of the line or
// after white space (a # inside a pattern is kept).
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// options returns the rules as cachedhttp options, in order.
func ruleOptions(rules []urlRule) []cachedhttp.Option {
	opts := make([]cachedhttp.Option, len(rules))
	for i, r := range rules {
		opts[i] = cachedhttp.WithURLRule(r.glob, r.expire)
	}
	return opts
}
