package einvoicehttp_test

import (
	"encoding/json"
	"net/http"
)

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/json" {
		return errNotJSON
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type strErr string

func (e strErr) Error() string { return string(e) }

const errNotJSON = strErr("answer is not application/json")
