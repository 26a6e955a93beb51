"""The synonyms the FAQ matcher reads: concepts a shop's customers ask about, each with its English
words and phrases and its Chinese terms (written in either script: they are folded to Simplified).

A message and an FAQ example question that name one concept in different words or languages
("what time do you close", "幾點關門", "opening hours") share that concept. The list is about shops
in general, not about any one FAQ: an entry on a topic listed nowhere here still matches through its
own words (English stems, Chinese character pairs).

Columns: concept | class | English (comma-separated; a phrase is several words) | Chinese terms.
Classes: `topic` (what the question is about), `light` (how it is asked: when, where, how much…;
it counts for less), `action` (the customer wants something done: a message that asks for an action
is answered only by an entry whose own questions ask for it too).
"""

from __future__ import annotations

from typing import Final

LEXICON: Final = """
hours     | topic  | hour, hours, opening hours, opening times, business hours, trading hours, opening time | 营业, 打烊, 营运, 开放时间
openclose | light  | open, opening, opens, close, closing, closes, closed, shut | 开门, 关门, 开到, 有开, 开吗, 开不, 开嘛, 开着, 开店, 关店, 开放, 开几点, 关几点
when      | light  | when, time, times, late, early, till, until, what time | 几点, 什么时候, 何时, 时间, 多晚
day       | light  | monday, tuesday, wednesday, thursday, friday, saturday, sunday, weekend, weekday, holiday, public holiday, today, tonight, tomorrow, morning, evening, night, now, christmas, new year | 周末, 下周, 这周, 本周, 周日, 周六, 周一, 周二, 周三, 周四, 周五, 星期, 礼拜, 假日, 假期, 节日, 今天, 明天, 今晚, 晚上, 早上, 中午, 过年, 春节, 现在
where     | light  | where, whereabouts | 在哪, 哪里, 哪儿, 哪边
location  | topic  | address, located, location, locate, direction, find you, get to, get there, station, map, nearest, closest, near | 地址, 位置, 怎么去, 怎么走, 地铁, 捷运, 港铁, 车站, 路线, 店在, 导航
parking   | topic  | park, parking, car park, carpark, car, garage, valet | 停车, 车位, 泊车, 停车场
delivery  | topic  | deliver, delivery, shipping, ship, courier, take away, takeaway, takeout, send to, drop off | 外卖, 外送, 送货, 配送, 送到, 快递, 运费, 送餐, 寄到, 送外
area      | light  | area, areas, range, zone, radius, district, districts | 范围, 区域, 地区
price     | light  | how much, cost, costs, price, fee, charge, free, expensive, cheap | 多少钱, 价格, 价钱, 费用, 收费, 免费, 运费, 几钱, 贵
wifi      | topic  | wifi, wi fi, internet, wireless, network, hotspot | 无线, 网络, 上网, 网路
card      | light  | card, cards | 卡
password  | light  | password, code | 密码
payment   | topic  | pay, paying, payment, credit, credit card, pay by card, debit, visa, mastercard, amex, cash, alipay, wechat pay, apple pay, google pay, contactless, octopus, cheque | 刷卡, 信用卡, 付款, 支付, 现金, 付钱, 八达通, 转账, 收卡, 扫码
points    | topic  | point, points, loyalty, reward, rewards, redeem, earn, stamp, stamps, member, membership, loyalty card | 积分, 点数, 会员, 兑换, 换什么, 积点, 奖励, 集点, 累积, 储分
booking   | topic  | book, booking, bookings, reserve, reservation, reservations, walk in | 订位, 订座, 订桌, 预约, 预订, 订台, 留位, 订位子
table     | light  | table, tables, seat, seats, people, group | 桌, 座位, 位子
diet      | topic  | vegan, vegetarian, gluten, dairy, lactose, allergy, allergies, allergic, allergen, allergens, nut, nuts, halal, oat milk, soy milk, plant based, sugar free, oat, soy | 素食, 纯素, 吃素, 无麸质, 麸质, 过敏, 坚果, 乳糖, 燕麦奶, 豆奶, 清真, 无糖, 蛋奶素
pets      | topic  | dog, dogs, pet, pets, cat, cats, puppy | 狗, 宠物, 猫
allowed   | light  | allowed, allow, bring, welcome, friendly, inside | 可以带, 能带, 带, 进去, 进店
returns   | action | return, returns, refund, refunds, exchange, money back | 退货, 退换, 退款, 退钱, 换货, 换吗, 调换, 退
policy    | light  | policy, rule, rules | 政策, 规定
giftcard  | topic  | gift card, gift cards, gift voucher, voucher, vouchers, gift certificate, e gift | 礼品卡, 礼券, 礼物卡, 礼卡, 礼卷, 购物卡, 储值卡
gift      | light  | gift, present | 礼物, 送礼
cancel    | action | cancel, cancellation, cancelled, call off | 取消
change    | action | change, reschedule, move, postpone, instead, swap, bring forward | 改, 更改, 延后, 提前, 调到
callback  | action | call me, call back, ring me, phone me, get back to me | 打电话给我, 回电, 给我打电话
status    | action | where's my, where is my, still waiting, not received, haven't received, has my, did my, track, tracking | 到哪, 还没收到, 没收到, 进度, 到了没
fix       | action | add my, missing, credit my, fix, correct | 补上, 补回, 补给, 漏了
contact   | topic  | phone, phone number, email, contact, whatsapp | 电话, 联系, 邮箱, 联络
order     | light  | order, orders, parcel, package | 订单, 包裹, 订的
kids      | topic  | kid, kids, child, children, baby, high chair, pram, stroller | 儿童, 小孩, 宝宝, 婴儿, 儿童椅
jobs      | topic  | hiring, job, jobs, vacancy, vacancies | 招人, 招聘, 征人, 请人, 工作
event     | topic  | event, events, mic, gig, concert, workshop, class, classes | 活动, 音乐会, 演出, 讲座, 课程
menu      | topic  | menu, soup, special, specials, dish, dishes | 菜单, 汤, 特价, 招牌
accessible| topic  | wheelchair, accessible, step free, toilet, toilets, restroom, bathroom | 轮椅, 无障碍, 厕所, 洗手间
"""

EN_STOPWORDS: Final = frozenset(
    """a an the i im i'm me my mine we us our you u ya your ur yours they them their it its is are am was
    were be been being do does did doing done have has had can could would will should may might shall
    to of for on in at by with from about and or but so if then there here this that these those what
    which who whom how any some just also please pls plz hi hello hey thanks thank thx ok okay guys
    get got know tell want like need wondering wonder question quick possible exactly much many one
    ones still yet not no yes dont don't doesn't isn't aren't can't cant it's there's that's what's
    whats how's hows let's lets we're you're they're i'd i've you've ll re ve d s t""".split()  # noqa: SIM905
)

ZH_FUNCTION_CHARS: Final = frozenset(
    "的了吗呢吧啊呀么嘛哦喔噢你我他她它们是在有没不也都就还请问想要个这那哪些什怎样能可以会过得着和跟与或及很太好吗么"
    "一二两几多少呃嗯哈喂您咱谁吧把被让给对于从到去来谢"
)
"""Characters that make a Chinese character pair a function pair (你们, 请问, 可以…): such pairs carry
no topic, so they are not read as words."""
