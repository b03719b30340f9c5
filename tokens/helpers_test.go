package tokens_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	goredis "github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/backends/mongodb"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

// uniq returns a fresh name part, so that tests sharing servers with other
// test runs never see each other's keys.
func uniq() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d_%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// backendFactories open each backend the stores are tested over, on a
// fresh namespace that is removed at cleanup.
func backendFactories() map[string]func(t *testing.T) backends.Backend {
	return map[string]func(t *testing.T) backends.Backend{
		"memory": func(t *testing.T) backends.Backend {
			b := memory.New(memory.Options{})
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		"bbolt": func(t *testing.T) backends.Backend {
			b, err := bbolt.Open(filepath.Join(t.TempDir(), "tokens.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		"filesystem": func(t *testing.T) backends.Backend {
			b, err := filesystem.Open(filepath.Join(t.TempDir(), "tokens"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		"redis": func(t *testing.T) backends.Backend {
			return newRedisBackend(t, "tokens-test:"+uniq()+":")
		},
		"memcache": func(t *testing.T) backends.Backend {
			srv := strings.Split(backendtest.Service(t, "CACHEDHTTP_MEMCACHE"), ",")
			opts := memcache.Options{Prefix: "tokens-test:" + uniq() + ":"}
			b, err := memcache.New(srv, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Clear(context.Background())
				_ = b.Close()
			})
			return b
		},
		"dynamodb": func(t *testing.T) backends.Backend {
			b, _ := newDynamoBackend(t)
			return b
		},
		"mongodb": func(t *testing.T) backends.Backend {
			url := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
			client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(url))
			if err != nil {
				t.Fatal(err)
			}
			coll := client.Database("cachedhttp_tokens_test").Collection("t_" + uniq())
			b, err := mongodb.New(context.Background(), coll, mongodb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Close()
				_ = coll.Drop(context.Background())
				_ = client.Disconnect(context.Background())
			})
			return b
		},
	}
}

func newRedisClient(t testing.TB) goredis.UniversalClient {
	t.Helper()
	o, err := goredis.ParseURL(backendtest.Service(t, "CACHEDHTTP_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newRedisBackend returns a Redis backend under prefix, cleared at cleanup.
func newRedisBackend(t testing.TB, prefix string) *redis.Backend {
	t.Helper()
	b, err := redis.New(newRedisClient(t), redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Clear(context.Background()) })
	return b
}

func newDynamoClient(t testing.TB) *awsddb.Client {
	t.Helper()
	return awsddb.New(awsddb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL")),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// newDynamoBackend returns a backend on a new table, deleted at cleanup.
func newDynamoBackend(t testing.TB) (*dynamodb.Backend, string) {
	t.Helper()
	client := newDynamoClient(t)
	table := "tokens_" + uniq()
	b, err := dynamodb.New(context.Background(), client, table, dynamodb.Options{
		CreateTable: true, WaitMinDelay: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Close()
		_, _ = client.DeleteTable(context.Background(), &awsddb.DeleteTableInput{TableName: aws.String(table)})
	})
	return b, table
}

// tokenServer is a token endpoint that counts its requests by grant type,
// issues numbered tokens and accepts only the refresh tokens it issued
// (and those the test registers).
type tokenServer struct {
	*httptest.Server

	mu        sync.Mutex
	n         int
	refreshOK map[string]bool
	byGrant   map[string]int
	// gate, when set, holds every refresh_token request until it is closed;
	// entered receives a value as each such request arrives.
	gate    chan struct{}
	entered chan struct{}

	expiresIn   int    // 0: 3600
	scope       string // the scope field of responses; "" leaves it out
	keepRefresh bool   // answer refreshes without a new refresh token
	requests    atomic.Int64
}

func newTokenServer(t testing.TB) *tokenServer {
	ts := &tokenServer{refreshOK: map[string]bool{}, byGrant: map[string]int{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	grant := r.PostForm.Get("grant_type")
	ts.mu.Lock()
	ts.byGrant[grant]++
	gate, entered := ts.gate, ts.entered
	ts.mu.Unlock()
	if grant == "refresh_token" && gate != nil {
		if entered != nil {
			entered <- struct{}{}
		}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if grant == "refresh_token" && !ts.refreshOK[r.PostForm.Get("refresh_token")] {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"unknown refresh token"}`)
		return
	}
	ts.n++
	resp := map[string]any{
		"access_token": fmt.Sprintf("access-%d", ts.n),
		"token_type":   "Bearer",
		"expires_in":   cmpOr(ts.expiresIn, 3600),
		"id_token":     fmt.Sprintf("id-%d", ts.n),
	}
	if !(grant == "refresh_token" && ts.keepRefresh) {
		rt := fmt.Sprintf("refresh-%d", ts.n)
		ts.refreshOK[rt] = true
		resp["refresh_token"] = rt
	}
	if ts.scope != "" {
		resp["scope"] = ts.scope
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// grants returns how many requests of grant type g the server answered.
func (ts *tokenServer) grants(g string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.byGrant[g]
}

// allowRefresh makes the server accept refresh token rt.
func (ts *tokenServer) allowRefresh(rt string) {
	ts.mu.Lock()
	ts.refreshOK[rt] = true
	ts.mu.Unlock()
}

// config returns an oauth2.Config for the server.
func (ts *tokenServer) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     "client",
		ClientSecret: "secret",
		Endpoint: oauth2.Endpoint{
			AuthURL:   ts.URL + "/authorize",
			TokenURL:  ts.URL + "/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

// clock is an injectable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// token returns a token with a scope, as a store returns it.
func token(access, refresh string, expiry time.Time, scope string) *oauth2.Token {
	tok := &oauth2.Token{AccessToken: access, TokenType: "Bearer", RefreshToken: refresh, Expiry: expiry}
	if scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": scope})
	}
	return tok
}
