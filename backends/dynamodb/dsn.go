package dynamodb

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/cachedhttp/cachedhttp/backends"
)

// DefaultRegion is the region used with an endpoint when neither the DSN
// nor the AWS configuration names one.
const DefaultRegion = "us-east-1"

func init() {
	backends.Register("dynamodb", open)
}

// Defaults of the client a DSN opens. The SDK's own suit a database that
// must answer eventually (a 30 s dial, no bound on the wait for a response,
// three attempts with up to 20 s between them); a cache must rather give up
// fast, since a miss only costs the origin request. A client passed to New
// keeps the options its maker gave it.
const (
	// DefaultDialTimeout bounds connecting to the endpoint (dial_timeout).
	DefaultDialTimeout = time.Second
	// DefaultReadTimeout bounds the wait for a response to start, and then
	// for each further byte of it (read_timeout).
	DefaultReadTimeout = 2 * time.Second
	// DefaultMaxAttempts is how many times a request is sent before it
	// fails (max_attempts): a retry on a throttled or failed request, with
	// at most DefaultMaxBackoff before it.
	DefaultMaxAttempts = 2
	DefaultMaxBackoff  = 200 * time.Millisecond
)

// dsnConfig is what a DSN says.
type dsnConfig struct {
	table    string
	region   string
	endpoint string
	opts     Options

	dialTimeout, readTimeout time.Duration
	maxAttempts              int
}

// parseDSN reads dynamodb://TABLE?region=&endpoint=&create_table=&...
func parseDSN(dsn *url.URL) (dsnConfig, error) {
	c := dsnConfig{dialTimeout: DefaultDialTimeout, readTimeout: DefaultReadTimeout, maxAttempts: DefaultMaxAttempts}
	c.table = dsn.Host
	if c.table == "" {
		c.table = strings.Trim(dsn.Path, "/")
	}
	if c.table == "" {
		return c, fmt.Errorf("dynamodb: no table name (want dynamodb://TABLE?...)")
	}
	for name, vals := range dsn.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "region":
			c.region = v
		case "endpoint":
			u, err := url.Parse(v)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return c, fmt.Errorf("dynamodb: endpoint=%q: want a URL such as http://127.0.0.1:8000", v)
			}
			c.endpoint = v
		case "create_table", "consistent_read":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("dynamodb: %s=%q: %w", name, v, err)
			}
			if name == "create_table" {
				c.opts.CreateTable = on
			} else {
				c.opts.EventuallyConsistent = !on
			}
		case "chunk_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxChunkSize {
				return c, fmt.Errorf("dynamodb: chunk_size=%q: want bytes in [1, %d]", v, MaxChunkSize)
			}
			c.opts.ChunkSize = n
		case "dial_timeout", "read_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("dynamodb: %s=%q: want a duration > 0 such as 500ms", name, v)
			}
			if name == "dial_timeout" {
				c.dialTimeout = d
			} else {
				c.readTimeout = d
			}
		case "max_attempts":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return c, fmt.Errorf("dynamodb: max_attempts=%q: want an integer >= 1", v)
			}
			c.maxAttempts = n
		default:
			return c, fmt.Errorf("dynamodb: unknown DSN parameter %q", name)
		}
	}
	return c, nil
}

// open is the backends.Factory for dynamodb://.
func open(ctx context.Context, dsn *url.URL) (backends.Backend, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var load []func(*config.LoadOptions) error
	if c.region != "" {
		load = append(load, config.WithRegion(c.region))
	}
	if c.endpoint != "" {
		// A local endpoint needs no instance metadata: without this, a
		// missing credential would wait for IMDS timeouts.
		load = append(load, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: load AWS configuration: %w", err)
	}
	if c.endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = DefaultRegion
		}
		if cfg.Credentials == nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("dummy", "dummy", "")
		} else if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("dummy", "dummy", "")
		}
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
		c.bound(o)
		// The SDK checks a CRC32 of every response against X-Amz-Crc32,
		// but DynamoDB (and DynamoDB Local) send no such header on error
		// responses, which Set's conditional writes produce routinely: the
		// SDK then logs a spurious "response did not match expected
		// checksum" warning on stderr for each (aws-sdk-go-v2 issue 3545).
		// TLS already guards the bytes; callers who want the check pass
		// their own client to New.
		o.DisableValidateResponseChecksum = true
	})
	return New(ctx, client, c.table, c.opts)
}

// bound sets the client's timeouts and retries from the DSN, and silences
// the SDK's logger (it writes to standard error by default).
func (c dsnConfig) bound(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = c.dialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.ResponseHeaderTimeout = c.readTimeout
			t.TLSHandshakeTimeout = c.dialTimeout
		}).
		WithReadTimeout(c.readTimeout)
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = c.maxAttempts
		so.MaxBackoff = DefaultMaxBackoff
		// No retry quota: the SDK's token bucket, meant to keep a busy
		// client from retrying into an outage, would outlive the outage
		// here and deny the one retry a cache allows.
		so.RateLimiter = ratelimit.None
	})
	o.Logger = logging.Nop{}
	o.ClientLogMode = 0
}
