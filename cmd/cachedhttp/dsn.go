package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
	"github.com/spf13/pflag"
)

// defaultDSN is a bbolt file in the working directory. (A DSN like
// "bbolt://./x.db" would name the host ".", which bbolt rejects.)
const defaultDSN = "bbolt:http_cache.db"

func cacheFlag(fs *pflag.FlagSet) *string {
	return fs.String("cache", defaultDSN, "cache backend `DSN`")
}

// open returns a Session on the backend named by dsn, which it creates if
// it does not exist (get, proxy).
func open(dsn string, opts ...cachedhttp.Option) (*cachedhttp.Session, error) {
	sess, err := cachedhttp.NewSession(append([]cachedhttp.Option{cachedhttp.WithBackendDSN(dsn)}, opts...)...)
	if err != nil {
		return nil, withDSNHint(dsn, err)
	}
	return sess, nil
}

// openExisting is open for the commands that read a cache (ls, show,
// stats, purge): a missing bbolt file or cache directory is an error
// rather than a new, empty cache.
func openExisting(dsn string, opts ...cachedhttp.Option) (*cachedhttp.Session, error) {
	if err := checkExists(dsn); err != nil {
		return nil, err
	}
	return open(dsn, opts...)
}

// filePath returns the file or directory a DSN of a file-backed scheme
// (bbolt:, file:, filesystem:, and the gregjones stores httpcache-disk:,
// httpcache-leveldb: and httpcache+bbolt: or +file:) names, as the backend
// reads it; ok is false for other schemes and DSNs that name no path,
// whose errors backends.Open reports.
func filePath(dsn string) (path string, ok bool) {
	if s, rest, found := strings.Cut(dsn, ":"); found && strings.HasPrefix(strings.ToLower(s), gregjones.SchemeBackendPrefix) {
		dsn = s[len(gregjones.SchemeBackendPrefix):] + ":" + rest
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "bbolt", "file", "filesystem", gregjones.SchemeDisk, gregjones.SchemeLevelDB:
	default:
		return "", false
	}
	path = u.Path
	if u.Opaque != "" {
		path = u.Opaque
	}
	return path, path != ""
}

// checkExists returns an error matching errNoCache when dsn names a file or
// directory that does not exist.
func checkExists(dsn string) error {
	path, ok := filePath(dsn)
	if !ok {
		return nil
	}
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	abs, aerr := filepath.Abs(path)
	if aerr != nil {
		abs = path
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w: %s does not exist (this command reads a cache and does not create one)", redact(dsn), errNoCache, abs)
	}
	return fmt.Errorf("%s: %w", redact(dsn), err)
}

// withDSNHint adds to an error matching backends.ErrUnknownScheme what the
// DSN probably meant: a path without a scheme is a bbolt file (or, when it
// is a directory, a file: store), and a scheme close to a registered one is
// a typo.
func withDSNHint(dsn string, err error) error {
	if !errors.Is(err, backends.ErrUnknownScheme) {
		return err
	}
	if hint := dsnHint(dsn); hint != "" {
		return fmt.Errorf("%w\n  %s", err, hint)
	}
	return err
}

// dsnHint suggests a fix for a DSN whose scheme is not registered.
func dsnHint(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	if u.Scheme == "" {
		if fi, err := os.Stat(dsn); (err == nil && fi.IsDir()) || strings.HasSuffix(dsn, "/") {
			return fmt.Sprintf("a DSN starts with its backend's scheme: for the directory %s, write file:%s", dsn, strings.TrimSuffix(dsn, "/"))
		}
		return fmt.Sprintf("a DSN starts with its backend's scheme: for the bbolt file %s, write bbolt:%s", dsn, dsn)
	}
	rest := dsn[len(u.Scheme):]
	if s := closestScheme(strings.ToLower(u.Scheme)); s != "" {
		return fmt.Sprintf("did you mean %s%s?", s, rest)
	}
	return fmt.Sprintf("this command knows the schemes %s; a program of your own registers a backend by importing its package, e.g. import _ \"github.com/cachedhttp/cachedhttp/backends/NAME\"",
		strings.Join(backends.Schemes(), ", "))
}

// closestScheme returns the registered scheme nearest to s by edit
// distance, if it is at most 2 edits away (and s is not shorter than the
// distance), else "".
func closestScheme(s string) string {
	best, bestD := "", 3
	for _, c := range backends.Schemes() {
		if d := editDistance(s, c); d < bestD && d < len(s) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// redact hides a password in a DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if u.User == nil {
		return dsn
	}
	return u.Redacted()
}
