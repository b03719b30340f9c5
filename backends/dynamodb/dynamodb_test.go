package dynamodb_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
)

// newClient returns a client of the test server.
func newClient(t testing.TB) (*awsddb.Client, string) {
	t.Helper()
	url := backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL")
	return awsddb.New(awsddb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}), url
}

// uniqueTable returns a table name no other test uses, and deletes the
// table at cleanup.
func uniqueTable(t testing.TB, client *awsddb.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("t_%d_%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &awsddb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// testOptions are the options tests use: create the table, poll fast.
func testOptions(chunkSize int) dynamodb.Options {
	return dynamodb.Options{CreateTable: true, ChunkSize: chunkSize, WaitMinDelay: 100 * time.Millisecond}
}

func newBackend(t testing.TB, opts dynamodb.Options) (*dynamodb.Backend, *awsddb.Client, string) {
	t.Helper()
	client, _ := newClient(t)
	table := uniqueTable(t, client)
	b, err := dynamodb.New(context.Background(), client, table, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, client, table
}

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*dynamodb.Backend)(nil)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		b, _, _ := newBackend(t, testOptions(0))
		return b
	}, backendtest.Options{})
}

func TestConformanceSmallChunks(t *testing.T) {
	// Small chunks make more of the suite's values chunked, so the suite
	// exercises the chunk path (overwrite, delete, scan, concurrency): 4 KiB
	// under -short, where values stay below 1 MiB; 64 KiB otherwise, so
	// that the 20 MiB value is not 5120 items.
	chunk := 64 << 10
	if testing.Short() {
		chunk = 4 << 10
	}
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		b, _, _ := newBackend(t, testOptions(chunk))
		return b
	}, backendtest.Options{Chunking: backendtest.Chunking{
		Size: chunk,
		Records: func(t *testing.T, b backends.Backend) int {
			client, _ := newClient(t)
			return len(rawItems(t, client, b.(*dynamodb.Backend).Table()))
		},
	}})
}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// rawItems returns the partition keys of every item in table.
func rawItems(t *testing.T, client *awsddb.Client, table string) []string {
	t.Helper()
	var pks []string
	p := awsddb.NewScanPaginator(client, &awsddb.ScanInput{TableName: aws.String(table), ProjectionExpression: aws.String("pk")})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, it := range page.Items {
			pks = append(pks, it["pk"].(*types.AttributeValueMemberS).Value)
		}
	}
	return pks
}

func randomValue(n int) []byte {
	v := make([]byte, n)
	_, _ = rand.Read(v)
	return v
}

func TestChunking(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		wantItems int // the value's item and its chunks
	}{
		{"a value below the chunk size is one item", 100 << 10, 1},
		{"1 MiB is three 384 KiB chunks and the item", 1 << 20, 1 + 3},
		{"20 MiB is 54 chunks and the item", 20 << 20, 1 + 54},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, client, table := newBackend(t, testOptions(0))
			want := randomValue(tt.size)
			if err := b.Set(t.Context(), "k", want, time.Hour); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := len(rawItems(t, client, table)); got != tt.wantItems {
				t.Errorf("items in the table = %d, want %d", got, tt.wantItems)
			}
			got, err := b.Get(t.Context(), "k")
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Get = %d bytes, not the %d stored", len(got), len(want))
			}
			n := 0
			for e, err := range b.Scan(t.Context()) {
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if e.Key != "k" || e.Size != int64(tt.size) {
					t.Errorf("Scan yielded %.40q size %d; want only \"k\" size %d", e.Key, e.Size, tt.size)
				}
				n++
			}
			if n != 1 {
				t.Errorf("Scan yielded %d entries, want 1 (chunk items are not keys)", n)
			}
		})
	}
}

func TestOverwriteAndDeleteRemoveChunks(t *testing.T) {
	const chunk = 1000
	b, client, table := newBackend(t, testOptions(chunk))
	steps := []struct {
		name      string
		size      int
		wantItems int
	}{
		{"chunked value", 5*chunk + 1, 1 + 6},
		{"chunked overwrite leaves only the new generation", 3 * chunk, 1 + 3},
		{"small overwrite removes all chunks", 10, 1},
		{"chunked again", 2 * chunk, 1 + 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			want := randomValue(s.size)
			if err := b.Set(t.Context(), "k", want, 0); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := len(rawItems(t, client, table)); got != s.wantItems {
				t.Errorf("items = %d, want %d", got, s.wantItems)
			}
			got, err := b.Get(t.Context(), "k")
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Get = %d bytes, %v; want the %d stored", len(got), err, len(want))
			}
		})
	}
	t.Run("delete removes the value and its chunks", func(t *testing.T) {
		if err := b.Delete(t.Context(), "k", "missing"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got := rawItems(t, client, table); len(got) != 0 {
			t.Errorf("items after Delete = %v, want none", got)
		}
	})
}

func TestMissingChunkIsAMiss(t *testing.T) {
	b, client, table := newBackend(t, testOptions(1000))
	if err := b.Set(t.Context(), "k", randomValue(4500), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var chunkPK string
	for _, pk := range rawItems(t, client, table) {
		if strings.HasSuffix(pk, "#2") {
			chunkPK = pk
		}
	}
	if chunkPK == "" {
		t.Fatal("no chunk item #2 in the table")
	}
	if _, err := client.DeleteItem(t.Context(), &awsddb.DeleteItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: chunkPK}},
	}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	v, err := b.Get(t.Context(), "k")
	if !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("Get with chunk %s missing = %d bytes, %v; want ErrNotFound", chunkPK, len(v), err)
	}
}

func TestCreateTableIsIdempotent(t *testing.T) {
	client, _ := newClient(t)
	table := uniqueTable(t, client)
	first, err := dynamodb.New(t.Context(), client, table, testOptions(0))
	if err != nil {
		t.Fatalf("first New: %v", err)
	}
	if err := first.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	second, err := dynamodb.New(t.Context(), client, table, testOptions(0))
	if err != nil {
		t.Fatalf("second New on the existing table: %v", err)
	}
	if got, err := second.Get(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Errorf("Get through the second backend = %q, %v; want the value stored through the first", got, err)
	}
	if first.NativeTTL() != second.NativeTTL() {
		t.Errorf("NativeTTL differs: first %v, second %v", first.NativeTTL(), second.NativeTTL())
	}
}

func TestNewWithoutCreateTableNeedsTheTable(t *testing.T) {
	client, _ := newClient(t)
	b, err := dynamodb.New(t.Context(), client, "no_such_table_"+strconv.FormatInt(time.Now().UnixNano(), 10), dynamodb.Options{})
	if err != nil {
		t.Fatalf("New without CreateTable: %v (it must not fail when only the TTL probe does)", err)
	}
	var rnf *types.ResourceNotFoundException
	if err := b.Set(t.Context(), "k", []byte("v"), 0); !errors.As(err, &rnf) {
		t.Errorf("Set into a missing table = %v; want a ResourceNotFoundException", err)
	}
}

func TestTTLAttribute(t *testing.T) {
	b, client, table := newBackend(t, testOptions(1000))
	t.Run("NativeTTL matches the table's TTL description", func(t *testing.T) {
		out, err := client.DescribeTimeToLive(t.Context(), &awsddb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException" {
			// dynalite: no TTL operations; New must have tolerated that.
			if b.NativeTTL() {
				t.Error("NativeTTL() = true on a server without TTL operations")
			}
			return
		}
		if err != nil {
			t.Fatalf("DescribeTimeToLive: %v", err)
		}
		d := out.TimeToLiveDescription
		if d == nil || aws.ToString(d.AttributeName) != "ttl" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
			t.Errorf("table TTL = %+v; want enabled on attribute ttl (New with CreateTable enables it)", d)
		}
		if !b.NativeTTL() {
			t.Error("NativeTTL() = false, but the table has TTL enabled")
		}
	})
	t.Run("values and chunks carry ttl in epoch seconds", func(t *testing.T) {
		before := time.Now()
		if err := b.Set(t.Context(), "k", randomValue(2500), time.Hour); err != nil {
			t.Fatalf("Set: %v", err)
		}
		p := awsddb.NewScanPaginator(client, &awsddb.ScanInput{TableName: aws.String(table)})
		items := 0
		for p.HasMorePages() {
			page, err := p.NextPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				items++
				n, ok := it["ttl"].(*types.AttributeValueMemberN)
				if !ok {
					t.Errorf("item %v has no numeric ttl", it["pk"])
					continue
				}
				secs, err := strconv.ParseInt(n.Value, 10, 64)
				want := before.Add(time.Hour).Unix()
				if err != nil || secs < want || secs > want+5 {
					t.Errorf("ttl = %s, want about %d (an hour from now, in seconds)", n.Value, want)
				}
			}
		}
		if items != 4 {
			t.Errorf("items = %d, want 4 (value and three chunks)", items)
		}
	})
	t.Run("a value without ttl has no ttl attribute", func(t *testing.T) {
		if err := b.Set(t.Context(), "forever", []byte("v"), 0); err != nil {
			t.Fatalf("Set: %v", err)
		}
		out, err := client.GetItem(t.Context(), &awsddb.GetItemInput{
			TableName: aws.String(table),
			Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: hashOf("forever")}},
		})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem: %v, %v", out, err)
		}
		if _, has := out.Item["ttl"]; has {
			t.Errorf("item of a value without ttl has a ttl attribute: %v", out.Item["ttl"])
		}
	})
}

func TestLongAndOddKeys(t *testing.T) {
	b, _, _ := newBackend(t, testOptions(0))
	keys := []string{
		strings.Repeat("k", 2048),
		strings.Repeat("\xff", 2049),
		strings.Repeat("x", 4096),
		"\x00\xc3\x28 invalid UTF-8",
		"",
	}
	for i, k := range keys {
		if err := b.Set(t.Context(), k, []byte{byte(i)}, 0); err != nil {
			t.Fatalf("Set of a %d-byte key: %v", len(k), err)
		}
	}
	for i, k := range keys {
		got, err := b.Get(t.Context(), k)
		if err != nil || !bytes.Equal(got, []byte{byte(i)}) {
			t.Errorf("Get of the %d-byte key #%d = %v, %v", len(k), i, got, err)
		}
	}
	seen := map[string]bool{}
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		seen[e.Key] = true
	}
	for i, k := range keys {
		if !seen[k] {
			t.Errorf("Scan did not return key #%d (%d bytes) unchanged", i, len(k))
		}
	}
}

func TestOpenDSN(t *testing.T) {
	client, url := newClient(t)
	table := uniqueTable(t, client)
	dsn := "dynamodb://" + table + "?region=us-east-1&endpoint=" + url + "&create_table=true&chunk_size=1000"
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	if err := b.Set(t.Context(), "k", randomValue(2500), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	// The table was created and chunk_size applied: a value and 3 chunks.
	if got := len(rawItems(t, client, table)); got != 4 {
		t.Errorf("items = %d, want 4", got)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.Get(t.Context(), "k"); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Get after Close = %v; want ErrClosed", err)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	client := awsddb.New(awsddb.Options{Region: "us-east-1"})
	tests := []struct {
		name   string
		client *awsddb.Client
		table  string
		opts   dynamodb.Options
	}{
		{"nil client", nil, "t", dynamodb.Options{}},
		{"empty table", client, "", dynamodb.Options{}},
		{"negative chunk size", client, "t", dynamodb.Options{ChunkSize: -1}},
		{"chunk size above the item limit", client, "t", dynamodb.Options{ChunkSize: 400 << 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := dynamodb.New(t.Context(), tt.client, tt.table, tt.opts); err == nil {
				t.Errorf("New = %v, nil; want an error", b)
			}
		})
	}
}

// hungEndpoint returns the URL of a server that accepts connections and
// never answers.
func hungEndpoint(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return "http://" + ln.Addr().String()
}

// Opening with create_table against an endpoint that never answers fails
// after the client's bounds (read_timeout, max_attempts) even when the
// caller's context has no deadline; the SDK's default HTTP client waited
// for ever. (Hang detection only: the bound checked is generous.)
func TestOpenGivesUpOnAHungEndpoint(t *testing.T) {
	dsn := "dynamodb://hung?create_table=true&endpoint=" + url.QueryEscape(hungEndpoint(t))
	done := make(chan error, 1)
	go func() {
		b, err := backends.Open(context.Background(), dsn)
		if err == nil {
			b.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Open against a hung endpoint succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open against a hung endpoint still running after 30 s")
	}
}
