package invoice

import (
	"fmt"
	"strconv"
	"strings"
)

// Yuan formats an amount in fen as yuan with two decimals: 110747 →
// "1107.47". It is the decimal form of QR codes, UBL and the PDF.
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// parseYuan reads what Yuan writes for a non-negative amount, and
// nothing else: digits without leading zeros, a point, two digits.
func parseYuan(s string) (int64, bool) {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || len(whole) > 14 || whole[0] == '0' && whole != "0" {
		return 0, false
	}
	if strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, false
	}
	y, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	return y*100 + f, err1 == nil && err2 == nil
}

var (
	capitalDigits   = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capitalUnits    = []string{"", "拾", "佰", "仟"}
	capitalSections = []string{"", "万", "亿", "万亿"}
)

// Capitals writes a non-negative amount in fen in Chinese capitals (大写),
// as the 价税合计 line of an invoice prints it: 110747 → 壹仟壹佰零柒圆肆角柒分.
// The rules are the accounting ones (会计基础工作规范 §52): one 零 for a
// run of zeros inside the number, 整 after 圆 or 角 when no 分 follows,
// 壹拾 rather than 拾 for a leading ten. Amounts up to money.MaxAmount
// (sections 万, 亿, 万亿).
func Capitals(fen int64) string {
	if fen < 0 {
		return "负" + Capitals(-fen)
	}
	yuan, jiao, f := fen/100, fen/10%10, fen%10
	var b strings.Builder
	if yuan > 0 {
		writeCapitalInteger(&b, strconv.FormatInt(yuan, 10))
		b.WriteString("圆")
	}
	switch {
	case jiao == 0 && f == 0:
		if yuan == 0 {
			return "零圆整"
		}
		b.WriteString("整")
	case f == 0:
		b.WriteString(capitalDigits[jiao] + "角整")
	default:
		if jiao > 0 {
			b.WriteString(capitalDigits[jiao] + "角")
		} else if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[f] + "分")
	}
	return b.String()
}

func writeCapitalInteger(b *strings.Builder, s string) {
	started, zero := false, false
	for i := range len(s) {
		pos, d := len(s)-1-i, s[i]-'0'
		if d == 0 {
			zero = zero || started
		} else {
			if zero {
				b.WriteString("零")
				zero = false
			}
			b.WriteString(capitalDigits[d] + capitalUnits[pos%4])
			started = true
		}
		if pos%4 == 0 && pos > 0 && strings.Trim(s[max(0, i-3):i+1], "0") != "" {
			sec := capitalSections[pos/4]
			if pos == 12 && strings.Trim(s[i+1:i+5], "0") != "" {
				sec = "万" // 玖拾万零柒佰壹拾玖亿: the 亿 that follows serves both
			}
			b.WriteString(sec)
		}
	}
}
