"""Scripts without spaces between words are shingled by characters, so their copies cluster."""

import json

from dupdetect import scan
from dupdetect.normalize import words

ZH = (
    "河滨市议会周二投票决定重建老水坝。经过十年的争论，议员们最终以五比二的票数通过了这项计划。"
    "市长表示，工程将于明年春天开始，预计持续两年。下游的农民对此表示欢迎，他们说洪水风险一直困扰着他们。"
    "环保组织则担心鱼类洄游会受到影响，并呼吁市政府在设计中加入鱼道。"
)
ZH_COPY = "新华社河滨三月五日电 " + ZH.replace("预计持续两年", "预计需要两年")
ZH_OTHER = (
    "本地图书馆宣布从下个月起延长开放时间。馆长说，学生们在考试期间需要更多的学习空间，"
    "因此工作日晚上将开放到九点。图书馆还计划增加新的电脑和安静的阅读区，并为老人开设电脑课程。"
)
JA = (
    "川辺市議会は火曜日、古いダムを再建することを決定した。十年にわたる議論の末、議員たちは五対二で"
    "計画を承認した。市長によると、工事は来年の春に始まり、二年間続く予定だ。下流の農家は決定を歓迎した。"
)
TH = (
    "สภาเมืองลงมติเมื่อวันอังคารให้สร้างเขื่อนเก่าขึ้นใหม่ หลังจากการถกเถียงมานานสิบปี "
    "สมาชิกสภาอนุมัติแผนด้วยคะแนนห้าต่อสอง นายกเทศมนตรีกล่าวว่างานก่อสร้างจะเริ่มในฤดูใบไม้ผลิหน้า"
)


def test_chinese_is_tokenized_by_character():
    tokens = words("河滨市议会 2024 vote")
    assert tokens == ["河", "滨", "市", "议", "会", "2024", "vote"]


def test_copies_in_unspaced_scripts_cluster_and_others_do_not(tmp_path):
    records = [
        {"id": "zh", "text": ZH},
        {"id": "zh-copy", "text": ZH_COPY},
        {"id": "zh-other", "text": ZH_OTHER},
        {"id": "ja", "text": JA},
        {"id": "ja-copy", "text": JA + "（共同）"},
        {"id": "th", "text": TH},
        {"id": "th-copy", "text": "กรุงเทพฯ " + TH},
    ]
    (tmp_path / "feed.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    found = sorted(sorted(m.id for m in c.members) for c in scan([tmp_path]).clusters)
    assert found == [["ja", "ja-copy"], ["th", "th-copy"], ["zh", "zh-copy"]]
