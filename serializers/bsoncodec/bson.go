package bsoncodec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsonrw"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

func init() { serializers.RegisterCodec("bson", encoding{}) }

// encoding is the BSON codec's serializers.Encoding; the package comment
// and FORMAT.md describe the document it writes.
type encoding struct{}

// bsonRecord is the BSON layout of format v1.
type bsonRecord struct {
	Status         int                 `bson:"status"`
	Proto          string              `bson:"proto"`
	ProtoMajor     int                 `bson:"proto_major"`
	ProtoMinor     int                 `bson:"proto_minor"`
	Header         map[string][]string `bson:"header"`
	Trailer        map[string][]string `bson:"trailer"`
	Body           []byte              `bson:"body"`
	Request        bsonRequest         `bson:"request"`
	RequestTime    *primitive.DateTime `bson:"request_time,omitempty"`
	RequestTimeNS  int32               `bson:"request_time_ns,omitempty"`
	ResponseTime   *primitive.DateTime `bson:"response_time,omitempty"`
	ResponseTimeNS int32               `bson:"response_time_ns,omitempty"`
	Created        *primitive.DateTime `bson:"created,omitempty"`
	CreatedNS      int32               `bson:"created_ns,omitempty"`
	Expires        *primitive.DateTime `bson:"expires,omitempty"`
	ExpiresNS      int32               `bson:"expires_ns,omitempty"`
	StaleUntil     *primitive.DateTime `bson:"stale_until,omitempty"`
	StaleUntilNS   int32               `bson:"stale_until_ns,omitempty"`
	Revalidate     bool                `bson:"revalidate"`
	VaryIndex      []string            `bson:"vary_index"`
}

type bsonRequest struct {
	Method string              `bson:"method"`
	URL    string              `bson:"url"`
	Header map[string][]string `bson:"header"`
}

// toBSONTime splits t into a BSON date and the nanoseconds within its
// millisecond; the zero time is (nil, 0). A BSON date spans about 292
// million years either side of 1970; times beyond are an error.
func toBSONTime(t time.Time, errp *error) (*primitive.DateTime, int32) {
	if t.IsZero() {
		return nil, 0
	}
	sec := t.Unix()
	if sec > math.MaxInt64/1000-1 || sec < math.MinInt64/1000+1 {
		if *errp == nil {
			*errp = fmt.Errorf("time %v out of the range of a BSON date", t)
		}
		return nil, 0
	}
	d := primitive.DateTime(sec*1000 + int64(t.Nanosecond()/1e6))
	return &d, int32(t.Nanosecond() % 1e6)
}

func fromBSONTime(d *primitive.DateTime, ns int32) (time.Time, error) {
	if d == nil {
		if ns != 0 {
			return time.Time{}, fmt.Errorf("nanoseconds without a date")
		}
		return time.Time{}, nil
	}
	if ns < 0 || ns >= 1e6 {
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range", ns)
	}
	ms := int64(*d)
	sec, msec := ms/1000, ms%1000
	if msec < 0 {
		sec, msec = sec-1, msec+1000
	}
	return time.Unix(sec, msec*1e6+int64(ns)).UTC(), nil
}

func (encoding) AppendEncode(dst []byte, r *models.Response) ([]byte, error) {
	rec := bsonRecord{
		Status:     r.StatusCode,
		Proto:      r.Proto,
		ProtoMajor: r.ProtoMajor,
		ProtoMinor: r.ProtoMinor,
		Header:     r.Header,
		Trailer:    r.Trailer,
		Body:       r.Body,
		Request:    bsonRequest{Method: r.Request.Method, URL: r.Request.URL, Header: r.Request.Header},
		Revalidate: r.Revalidate,
		VaryIndex:  r.VaryIndex,
	}
	if rec.Body == nil {
		rec.Body = []byte{}
	}
	var err error
	rec.RequestTime, rec.RequestTimeNS = toBSONTime(r.RequestTime, &err)
	rec.ResponseTime, rec.ResponseTimeNS = toBSONTime(r.ResponseTime, &err)
	rec.Created, rec.CreatedNS = toBSONTime(r.Created, &err)
	rec.Expires, rec.ExpiresNS = toBSONTime(r.Expires, &err)
	rec.StaleUntil, rec.StaleUntilNS = toBSONTime(r.StaleUntil, &err)
	if err != nil {
		return nil, err
	}
	w := bytes.NewBuffer(dst)
	vw, err := bsonrw.NewBSONValueWriter(w)
	if err != nil {
		return nil, err
	}
	enc, err := bson.NewEncoder(vw)
	if err != nil {
		return nil, err
	}
	if err := enc.Encode(&rec); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

func (encoding) Decode(data []byte) (r *models.Response, err error) {
	if len(data) < 5 || int64(binary.LittleEndian.Uint32(data)) != int64(len(data)) {
		return nil, fmt.Errorf("document length does not match the record")
	}
	// The driver's decoder trusts the lengths inside a document and can
	// panic on malformed ones (FuzzUnmarshalBSON found an index out of
	// range): validate the whole structure first, and turn any panic left
	// into an error so that a corrupt record is a miss, not a crash.
	if err := bson.Raw(data).Validate(); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("malformed document: %v", p)
		}
	}()
	var rec bsonRecord
	if err := bson.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	r = &models.Response{
		StatusCode: rec.Status,
		Proto:      rec.Proto,
		ProtoMajor: rec.ProtoMajor,
		ProtoMinor: rec.ProtoMinor,
		Header:     rec.Header,
		Trailer:    rec.Trailer,
		Request:    models.Request{Method: rec.Request.Method, URL: rec.Request.URL, Header: rec.Request.Header},
		Revalidate: rec.Revalidate,
		VaryIndex:  rec.VaryIndex,
	}
	if len(rec.Body) > 0 {
		r.Body = rec.Body
	}
	for _, t := range []struct {
		dst *time.Time
		d   *primitive.DateTime
		ns  int32
	}{
		{&r.RequestTime, rec.RequestTime, rec.RequestTimeNS},
		{&r.ResponseTime, rec.ResponseTime, rec.ResponseTimeNS},
		{&r.Created, rec.Created, rec.CreatedNS},
		{&r.Expires, rec.Expires, rec.ExpiresNS},
		{&r.StaleUntil, rec.StaleUntil, rec.StaleUntilNS},
	} {
		if *t.dst, err = fromBSONTime(t.d, t.ns); err != nil {
			return nil, fmt.Errorf("time: %w", err)
		}
	}
	return r, nil
}
