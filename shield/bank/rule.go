package bank

import "time"

// DailyLimit is the PBOC limit on one account's non-counter transfers a
// day without certificate signing: 50,000 CNY in fen. A transfer that
// would take the day's total above it must be signed by the card.
const DailyLimit uint64 = 50_000_00

// ChinaTime is China Standard Time, UTC+8, the zone of "a day" in the
// rule. China has kept UTC+8 without daylight saving since 1991, so this
// fixed zone equals Asia/Shanghai for every date we book, without
// depending on the host's tz database.
var ChinaTime = time.FixedZone("CST", 8*60*60)

// Day returns the calendar day of t in China Standard Time, YYYY-MM-DD.
func Day(t time.Time) string { return t.In(ChinaTime).Format(time.DateOnly) }
