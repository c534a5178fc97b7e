"""Demo catalogue: about 2,000 products of the demo merchants, in English and Chinese, with
price tiers, stock and a generated image each. Idempotent: a merchant that already has demo
products (reference ``DEMO-…``) is left as it is."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalog.images import product_card
from catalog.models import (
    SKU,
    Category,
    ListingState,
    PriceTier,
    Product,
    ProductImage,
)
from catalog.search import refresh_search_vectors, search_cjk_for
from catalog.services import refresh_product_summaries
from catalog.stock import stock_seed
from merchants.models import ApplicationStatus, MerchantApplication
from network.demo import DEMO_MERCHANTS
from network.models import Organization

# (English, Chinese, category slug, HS code, base unit price USD, unit weight kg)
Line = tuple[str, str, str, str, float, float]
# (English, Chinese, price factor)
Variant = tuple[str, str, float]

CATALOGUE: dict[str, tuple[str, list[Line], list[Variant]]] = {
    "Great Lakes Maple Co.": (
        "Great Lakes",
        [
            (
                "Pure Michigan Maple Syrup",
                "纯正密歇根枫糖浆",
                "maple-syrup",
                "1702200000",
                8.5,
                0.75,
            ),
            ("Organic Amber Maple Syrup", "有机琥珀枫糖浆", "maple-syrup", "1702200000", 9.9, 0.75),
            ("Dark Robust Maple Syrup", "浓郁深色枫糖浆", "maple-syrup", "1702200000", 8.9, 0.75),
            ("Maple Sugar Candy", "枫糖糖果", "maple-syrup", "1704900000", 3.2, 0.12),
            ("Maple Cream Spread", "枫糖奶油酱", "maple-syrup", "1702200000", 5.6, 0.3),
            ("Granulated Maple Sugar", "枫糖砂糖", "maple-syrup", "1702200000", 6.4, 0.25),
        ],
        [
            ("250 ml bottle", "250毫升瓶装", 0.6),
            ("500 ml bottle", "500毫升瓶装", 1.0),
            ("1 L jug", "1升壶装", 1.8),
            ("gift tin", "礼品罐装", 1.4),
            ("3-pack", "三支装", 2.6),
        ],
    ),
    "Cascadia Botanicals": (
        "Cascadia",
        [
            ("Hydrating Face Serum", "保湿精华液", "skincare", "3304990000", 12.0, 0.1),
            ("Lavender Body Lotion", "薰衣草身体乳", "bath-body", "3304990000", 7.5, 0.3),
            ("Rosehip Facial Oil", "玫瑰果面部精油", "skincare", "3304990000", 11.0, 0.08),
            ("Oregon Mint Lip Balm", "俄勒冈薄荷润唇膏", "skincare", "3304100000", 1.9, 0.02),
            ("Gentle Foaming Cleanser", "温和泡沫洁面乳", "skincare", "3401300000", 6.8, 0.2),
            ("Argan Repair Shampoo", "摩洛哥坚果修护洗发水", "hair-care", "3305100000", 6.2, 0.4),
        ],
        [
            ("travel size", "旅行装", 0.5),
            ("standard", "标准装", 1.0),
            ("value size", "超值装", 1.7),
            ("unscented", "无香型", 1.0),
        ],
    ),
    "Driftless Cheese Makers": (
        "Driftless",
        [
            (
                "Aged Wisconsin Cheddar Cheese",
                "威斯康星陈年切达奶酪",
                "cheese-dairy",
                "0406900000",
                5.1,
                0.2,
            ),
            ("Smoked Gouda Cheese", "烟熏高达奶酪", "cheese-dairy", "0406900000", 5.6, 0.2),
            ("Colby Jack Cheese", "科尔比杰克奶酪", "cheese-dairy", "0406900000", 4.6, 0.2),
            ("Parmesan Cheese Crisps", "帕玛森奶酪脆片", "snacks", "0406900000", 3.4, 0.08),
            ("Cheese Curds", "新鲜奶酪粒", "cheese-dairy", "0406100000", 3.9, 0.25),
        ],
        [
            ("200 g", "200克", 1.0),
            ("500 g", "500克", 2.2),
            ("1 kg block", "1公斤块装", 4.0),
            ("snack pack", "零食装", 0.6),
        ],
    ),
    "Sunbelt Vitamins": (
        "Sunbelt",
        [
            (
                "Vitamin C 1000 mg Tablets",
                "维生素C 1000毫克片",
                "vitamins",
                "2106909200",
                6.5,
                0.15,
            ),
            ("Vitamin D3 Softgels", "维生素D3软胶囊", "vitamins", "2106909200", 5.9, 0.1),
            ("Omega-3 Fish Oil", "深海鱼油欧米伽3", "fish-oil", "1504201000", 9.8, 0.25),
            ("Daily Probiotic Capsules", "每日益生菌胶囊", "probiotics", "2106909200", 11.5, 0.1),
            ("Kids Multivitamin Gummies", "儿童复合维生素软糖", "vitamins", "2106909200", 7.2, 0.2),
            ("Whey Protein Powder", "乳清蛋白粉", "protein", "2106100000", 18.0, 1.0),
            ("Collagen Peptides", "胶原蛋白肽", "herbal", "3504000000", 14.0, 0.4),
        ],
        [
            ("60 count", "60粒装", 0.7),
            ("120 count", "120粒装", 1.2),
            ("180 count", "180粒装", 1.6),
            ("twin pack", "双瓶装", 2.0),
        ],
    ),
    "Little Acorn Baby Goods": (
        "Little Acorn",
        [
            (
                "Organic Baby Oatmeal Cereal",
                "有机婴儿燕麦米粉",
                "baby-food",
                "1901100000",
                4.2,
                0.25,
            ),
            ("Gentle Baby Wash", "温和婴儿沐浴露", "baby-care", "3401300000", 5.1, 0.3),
            ("Diaper Rash Cream", "婴儿护臀膏", "baby-care", "3304990000", 4.8, 0.1),
            ("Wooden Stacking Toy", "木质叠叠乐玩具", "toys", "9503000090", 8.9, 0.4),
            (
                "Organic Cotton Baby Bodysuit",
                "有机棉婴儿连体衣",
                "kids-clothing",
                "6111200000",
                6.5,
                0.1,
            ),
        ],
        [
            ("newborn", "新生儿", 1.0),
            ("6–12 months", "6至12个月", 1.0),
            ("value pack", "超值装", 1.8),
        ],
    ),
    "Wasatch Outdoor Gear": (
        "Wasatch",
        [
            ("Ultralight Camping Hammock", "超轻露营吊床", "camping", "6306220000", 24.0, 0.6),
            ("Insulated Water Bottle", "保温水壶", "camping", "9617000000", 11.0, 0.4),
            ("Trekking Poles", "登山杖", "camping", "6602000000", 19.0, 0.5),
            ("Merino Hiking Socks", "美利奴羊毛徒步袜", "socks", "6115950000", 7.5, 0.1),
            ("Packable Rain Jacket", "便携防雨夹克", "outerwear", "6201400000", 32.0, 0.3),
            ("Headlamp 300 Lumen", "300流明头灯", "camping", "8513100000", 9.5, 0.1),
        ],
        [
            ("black", "黑色", 1.0),
            ("forest green", "森林绿", 1.0),
            ("slate blue", "石板蓝", 1.0),
            ("two-pack", "两件装", 1.9),
        ],
    ),
    "Brooklyn Knitworks": (
        "Brooklyn Knit",
        [
            ("Chunky Wool Beanie", "粗针羊毛毛线帽", "knitwear", "6505009000", 9.0, 0.1),
            ("Cable Knit Sweater", "麻花针织毛衣", "knitwear", "6110110000", 38.0, 0.6),
            ("Cashmere Blend Scarf", "羊绒混纺围巾", "knitwear", "6117100000", 22.0, 0.2),
            ("Cotton Crew T-Shirt", "纯棉圆领T恤", "tops", "6109100000", 6.5, 0.2),
        ],
        [
            ("size S", "S码", 1.0),
            ("size M", "M码", 1.0),
            ("size L", "L码", 1.0),
            ("heather grey", "麻灰色", 1.0),
            ("navy", "藏青色", 1.0),
        ],
    ),
    "Lone Star Leather": (
        "Lone Star",
        [
            ("Full-Grain Leather Belt", "全粒面皮带", "leather-goods", "4203300000", 18.0, 0.3),
            ("Leather Bifold Wallet", "真皮对折钱包", "leather-goods", "4202310000", 16.0, 0.1),
            ("Leather Card Holder", "真皮卡包", "leather-goods", "4202310000", 9.0, 0.05),
        ],
        [("brown", "棕色", 1.0), ("black", "黑色", 1.0), ("tan", "棕褐色", 1.0)],
    ),
    "Napa Valley Pantry": (
        "Napa Pantry",
        [
            ("Extra Virgin Olive Oil", "特级初榨橄榄油", "sauces-spices", "1509200000", 9.5, 0.6),
            ("Balsamic Vinegar", "意大利黑醋", "sauces-spices", "2209000000", 6.5, 0.4),
            ("Dried Mission Figs", "加州无花果干", "nuts-dried-fruit", "0804200000", 5.2, 0.25),
            ("Roasted Almonds", "烤杏仁", "nuts-dried-fruit", "0802120000", 6.0, 0.3),
            ("Gourmet Pasta Sauce", "精选意面酱", "sauces-spices", "2103900000", 4.4, 0.5),
        ],
        [
            ("classic", "经典款", 1.0),
            ("organic", "有机款", 1.3),
            ("gift box", "礼盒装", 2.4),
            ("family size", "家庭装", 1.8),
        ],
    ),
    "Green Mountain Honey": (
        "Green Mountain",
        [
            ("Raw Wildflower Honey", "生野花蜂蜜", "honey-jams", "0409000000", 7.5, 0.5),
            ("Vermont Clover Honey", "佛蒙特三叶草蜂蜜", "honey-jams", "0409000000", 7.0, 0.5),
            ("Honeycomb Chunk", "蜂巢蜜", "honey-jams", "0409000000", 11.0, 0.4),
            ("Blueberry Jam", "蓝莓果酱", "honey-jams", "2007999000", 4.6, 0.35),
            ("Propolis Throat Spray", "蜂胶喷雾", "herbal", "2106909900", 8.2, 0.05),
        ],
        [
            ("8 oz jar", "8盎司罐装", 0.6),
            ("16 oz jar", "16盎司罐装", 1.0),
            ("squeeze bottle", "挤压瓶装", 0.9),
            ("gift set", "礼盒套装", 2.2),
        ],
    ),
    "Ozark Cast Iron": (
        "Ozark",
        [
            (
                "Pre-Seasoned Cast Iron Skillet",
                "预开锅铸铁煎锅",
                "cookware",
                "7321110000",
                16.0,
                2.4,
            ),
            ("Cast Iron Dutch Oven", "铸铁荷兰锅", "cookware", "7321110000", 34.0, 5.0),
            ("Cast Iron Grill Pan", "铸铁烤盘", "cookware", "7321110000", 18.0, 2.2),
            ("Skillet Handle Cover", "煎锅把手套", "cookware", "6307909800", 3.5, 0.05),
        ],
        [("8 inch", "8英寸", 0.8), ("10 inch", "10英寸", 1.0), ("12 inch", "12英寸", 1.3)],
    ),
    "Chesapeake Seafood Snacks": (
        "Chesapeake",
        [
            ("Old Bay Seasoned Crab Chips", "老湾调味蟹味薯片", "snacks", "2005200000", 2.6, 0.15),
            ("Smoked Salmon Jerky", "烟熏三文鱼干", "snacks", "1604110000", 6.8, 0.1),
            ("Crab Seasoning Blend", "蟹料调味粉", "sauces-spices", "0910910000", 3.9, 0.15),
        ],
        [("small bag", "小袋装", 0.7), ("large bag", "大袋装", 1.4), ("12-pack", "12包装", 7.0)],
    ),
    "Rocky Mountain Jerky": (
        "Rocky Mountain",
        [
            ("Original Beef Jerky", "原味牛肉干", "snacks", "1602509500", 5.5, 0.1),
            ("Teriyaki Beef Jerky", "照烧牛肉干", "snacks", "1602509500", 5.5, 0.1),
            ("Peppered Bison Jerky", "黑椒野牛肉干", "snacks", "1602509500", 7.9, 0.1),
            ("Dog Jerky Treats", "狗狗肉干零食", "pet-food", "2309100000", 4.8, 0.2),
        ],
        [("2.5 oz", "2.5盎司", 0.8), ("5 oz", "5盎司", 1.5), ("10 oz", "10盎司", 2.7)],
    ),
    "Bluegrass Bourbon Foods": (
        "Bluegrass",
        [
            (
                "Bourbon Barrel Smoked Pepper",
                "波本桶烟熏胡椒",
                "sauces-spices",
                "0904120000",
                5.4,
                0.1,
            ),
            ("Bourbon Vanilla Extract", "波本香草精", "grains-baking", "1302199000", 7.8, 0.1),
            ("Bourbon Pecan Brittle", "波本山核桃脆糖", "snacks", "1704900000", 4.9, 0.2),
        ],
        [("small", "小号", 0.7), ("regular", "常规装", 1.0), ("gift box", "礼盒装", 2.0)],
    ),
    "Aloha Macadamia Farms": (
        "Aloha",
        [
            (
                "Dry Roasted Macadamia Nuts",
                "干烤夏威夷果",
                "nuts-dried-fruit",
                "0802620000",
                9.5,
                0.25,
            ),
            (
                "Honey Glazed Macadamias",
                "蜂蜜夏威夷果",
                "nuts-dried-fruit",
                "0802620000",
                10.2,
                0.25,
            ),
            ("Kona Coffee Beans", "科纳咖啡豆", "coffee-tea", "0901210000", 19.0, 0.45),
            ("Macadamia Nut Butter", "夏威夷果酱", "nuts-dried-fruit", "2008199000", 8.8, 0.3),
        ],
        [("4.5 oz", "4.5盎司", 0.6), ("10 oz", "10盎司", 1.0), ("2 lb bag", "2磅袋装", 2.8)],
    ),
    "Great Plains Grains": (
        "Great Plains",
        [
            (
                "Stone-Ground Whole Wheat Flour",
                "石磨全麦面粉",
                "grains-baking",
                "1101000000",
                3.1,
                1.0,
            ),
            ("Rolled Oats", "燕麦片", "grains-baking", "1104120000", 2.8, 1.0),
            ("Pancake and Waffle Mix", "松饼华夫饼预拌粉", "grains-baking", "1901200000", 3.6, 0.9),
            ("Sunflower Seeds", "葵花籽", "nuts-dried-fruit", "1206000000", 2.4, 0.3),
        ],
        [("1 kg", "1公斤", 1.0), ("2.5 kg", "2.5公斤", 2.2), ("organic 1 kg", "有机1公斤", 1.4)],
    ),
    "Motor City Tools": (
        "Motor City",
        [
            ("Chrome Vanadium Wrench Set", "铬钒扳手套装", "hand-tools", "8204110000", 24.0, 1.5),
            ("Precision Screwdriver Kit", "精密螺丝刀套装", "hand-tools", "8205400000", 12.0, 0.4),
            ("Cordless Drill Driver", "无线电钻", "power-tools", "8467210000", 48.0, 1.6),
            ("Socket Organizer Rail", "套筒收纳架", "hand-tools", "8205590000", 7.0, 0.3),
        ],
        [("metric", "公制", 1.0), ("SAE", "英制", 1.0), ("pro kit", "专业套装", 1.9)],
    ),
    "Pacific Northwest Coffee": (
        "PNW Roasters",
        [
            (
                "Seattle Dark Roast Coffee Beans",
                "西雅图深烘咖啡豆",
                "coffee-tea",
                "0901210000",
                9.0,
                0.45,
            ),
            (
                "Single Origin Ethiopia Coffee",
                "埃塞俄比亚单一产地咖啡",
                "coffee-tea",
                "0901210000",
                11.5,
                0.34,
            ),
            ("Cold Brew Coffee Packs", "冷萃咖啡包", "coffee-tea", "0901210000", 7.5, 0.3),
            ("Organic Green Tea", "有机绿茶", "coffee-tea", "0902100000", 5.5, 0.1),
        ],
        [("whole bean", "咖啡豆", 1.0), ("ground", "研磨粉", 1.0), ("1 kg bag", "1公斤袋装", 2.3)],
    ),
    "Georgia Peach Skincare": (
        "Georgia Peach",
        [
            ("Peach Glow Face Mask", "蜜桃焕亮面膜", "skincare", "3304990000", 6.2, 0.1),
            ("Vitamin C Brightening Serum", "维C亮肤精华", "skincare", "3304990000", 13.0, 0.05),
            ("Shea Butter Hand Cream", "乳木果护手霜", "bath-body", "3304990000", 3.8, 0.08),
            ("Mineral Sunscreen SPF 50", "物理防晒霜SPF50", "skincare", "3304990000", 8.5, 0.1),
        ],
        [("30 ml", "30毫升", 0.7), ("50 ml", "50毫升", 1.0), ("duo set", "双支套装", 1.9)],
    ),
    "Hudson Valley Ceramics": (
        "Hudson Valley",
        [
            ("Handmade Stoneware Mug", "手工粗陶马克杯", "tableware", "6912004400", 8.5, 0.4),
            ("Speckled Dinner Plate", "斑点陶瓷餐盘", "tableware", "6912003910", 11.0, 0.7),
            ("Ceramic Planter", "陶瓷花盆", "home-decor", "6913900000", 14.0, 1.2),
            ("Soy Wax Candle", "大豆蜡香薰蜡烛", "candles", "3406000000", 7.5, 0.4),
        ],
        [("white", "白色", 1.0), ("sage", "鼠尾草绿", 1.0), ("set of 4", "四件套", 3.6)],
    ),
    "Twin Cities Pet Supply": (
        "Twin Cities Pet",
        [
            ("Grain-Free Salmon Dog Food", "无谷三文鱼狗粮", "pet-food", "2309109000", 14.0, 2.0),
            (
                "Freeze-Dried Chicken Cat Treats",
                "冻干鸡肉猫零食",
                "pet-food",
                "2309100000",
                5.2,
                0.1,
            ),
            ("Reflective Dog Leash", "反光狗绳", "pet-accessories", "4201000000", 6.8, 0.2),
            ("Catnip Toy Mice", "猫薄荷玩具老鼠", "pet-accessories", "9503000090", 2.6, 0.05),
        ],
        [("small", "小号", 0.7), ("medium", "中号", 1.0), ("large", "大号", 1.5)],
    ),
    "Carolina Cotton Apparel": (
        "Carolina Cotton",
        [
            ("Organic Cotton T-Shirt", "有机棉T恤", "tops", "6109100000", 6.0, 0.2),
            ("Cotton Crew Socks", "纯棉中筒袜", "socks", "6115950000", 2.2, 0.08),
            ("Kids Cotton Pajama Set", "儿童纯棉睡衣套装", "kids-clothing", "6108310000", 9.0, 0.3),
            ("Cotton Hoodie", "纯棉连帽卫衣", "tops", "6110200000", 15.0, 0.6),
        ],
        [
            ("size S", "S码", 1.0),
            ("size M", "M码", 1.0),
            ("size L", "L码", 1.0),
            ("3-pack", "三件装", 2.7),
        ],
    ),
    "Buckeye Kitchenware": (
        "Buckeye",
        [
            ("Stainless Steel Mixing Bowls", "不锈钢搅拌碗", "cookware", "7323930000", 12.0, 1.1),
            ("Maple Wood Cutting Board", "枫木砧板", "cookware", "4419190000", 14.5, 1.0),
            ("Silicone Baking Mat", "硅胶烘焙垫", "cookware", "3924100000", 4.2, 0.2),
            ("Measuring Spoon Set", "量勺套装", "cookware", "8215990000", 3.1, 0.1),
        ],
        [("standard", "标准款", 1.0), ("large", "大号", 1.4), ("set", "套装", 2.1)],
    ),
}
TARGET_PRODUCTS = 2000


def _approved_merchants() -> list[tuple[Organization, str]]:
    """(organisation, name) of the demo merchants that have a catalogue here. An organisation
    without an application gets an approved one (the registry's demo usually made it first)."""
    found = []
    for name, state in DEMO_MERCHANTS:
        if name not in CATALOGUE:
            continue
        organization = Organization.objects.filter(
            name=name, kind=Organization.Kind.MERCHANT
        ).first()
        if organization is None:
            continue
        MerchantApplication.objects.get_or_create(
            organization=organization,
            defaults={
                "status": ApplicationStatus.APPROVED,
                "legal_name": name,
                "state": state,
                "approved_at": timezone.now(),
            },
        )
        found.append((organization, name))
    return found


def _tiers(price: Decimal, moq: int, case_pack: int) -> list[tuple[int, Decimal]]:
    tiers, quantity, unit = [], moq, price
    for step in range(3):
        tiers.append((quantity, unit))
        quantity = quantity * (4 if step == 0 else 3)
        quantity -= quantity % case_pack
        unit = (unit * Decimal("0.92")).quantize(Decimal("0.01"))
    return tiers


EDITIONS = [
    ("", ""),
    ("Select", "精选"),
    ("Reserve", "珍藏"),
    ("Harvest", "丰收"),
    ("Classic", "经典"),
    ("Heritage", "传承"),
]


def _plan(merchants) -> list[tuple[Organization, int, Line, Variant, str, tuple[str, str]]]:
    """(organisation, number, line, variant, brand, edition) for each demo product, spread
    evenly across the merchants."""
    combos = []
    for organization, name in merchants:
        brand, lines, variants = CATALOGUE[name]
        combos.append((organization, brand, [(line, v) for line in lines for v in variants]))
    per_merchant = max(1, TARGET_PRODUCTS // max(1, len(combos)))
    plan = []
    for organization, brand, pairs in combos:
        for number in range(per_merchant):
            line, variant = pairs[number % len(pairs)]
            edition = EDITIONS[(number // len(pairs)) % len(EDITIONS)]
            plan.append((organization, number, line, variant, brand, edition))
    return plan


@transaction.atomic
def seed() -> dict[str, int]:
    summary = _seed_products()
    # Counted only where something was added: a second run still reports nothing done.
    summary.update({part: count for part, count in seed_deals().items() if count})
    return summary


def _seed_products() -> dict[str, int]:
    rng = random.Random(2026)
    merchants = _approved_merchants()
    categories = {c.slug: c for c in Category.objects.all()}
    seeded = set(
        Product.objects.filter(reference__startswith="DEMO-").values_list(
            "organization_id", flat=True
        )
    )
    plan = [row for row in _plan(merchants) if row[0].pk not in seeded]
    if not plan:
        return {"products": 0}
    now = timezone.now()
    products = []
    for organization, number, line, variant, brand, edition in plan:
        title_en, title_zh, category, hs_code, base, weight = line
        variant_en, variant_zh, factor = variant
        state = ListingState.ACTIVE
        roll = rng.random()
        if roll < 0.04:
            state = ListingState.DRAFT
        elif roll < 0.07:
            state = ListingState.PAUSED
        name_en = " ".join(part for part in (brand, edition[0], title_en) if part)
        name_zh = f"{edition[1]}{title_zh}（{variant_zh}）"
        products.append(
            Product(
                organization=organization,
                reference=f"DEMO-{number + 1:04d}",
                category=categories[category],
                title_en=f"{name_en}, {variant_en}",
                title_zh_hans=name_zh,
                description_en=(
                    f"{title_en} from {organization.name}, packed as {variant_en}. "
                    "Made in the USA; shipped in export cartons with bilingual labels on request."
                ),
                description_zh_hans=(
                    f"{title_zh}，{variant_zh}。美国制造，出口纸箱包装，可按需提供中英文标签。"
                ),
                brand=brand,
                hs_code=hs_code,
                country_of_origin="US",
                weight_kg=Decimal(str(round(weight * factor, 3) or 0.01)),
                length_cm=Decimal(rng.choice(["8", "10", "12", "15", "20", "25"])),
                width_cm=Decimal(rng.choice(["6", "8", "10", "12"])),
                height_cm=Decimal(rng.choice(["4", "10", "15", "20", "30"])),
                lead_time_days=rng.choice([3, 5, 7, 10, 14, 21, 30]),
                msrp_usd=(Decimal(str(base * factor)) * Decimal("2.2")).quantize(Decimal("0.01")),
                state=state,
                published_at=(now - timedelta(days=rng.randint(0, 120), minutes=number))
                if state != ListingState.DRAFT
                else None,
                search_cjk=search_cjk_for(title_zh_hans=name_zh),
                created_at=now - timedelta(days=rng.randint(0, 150)),
            )
        )
    Product.objects.bulk_create(products, batch_size=1000)

    skus, tiers, inventory, images = [], [], [], []
    for product, (_org, _number, line, variant, _brand, _edition) in zip(
        products, plan, strict=True
    ):
        base = Decimal(str(line[4] * variant[2])).quantize(Decimal("0.01"))
        case_pack = rng.choice([6, 6, 12, 12, 24, 4])
        moq = case_pack * rng.choice([1, 2, 4, 5])
        sku = SKU(
            organization=product.organization,
            product=product,
            code=f"{product.reference}-{product.organization_id}",
            variant_en=variant[0],
            variant_zh_hans=variant[1],
            case_pack=case_pack,
            moq=moq,
        )
        skus.append((sku, base))
    SKU.objects.bulk_create([s for s, _base in skus], batch_size=1000)
    for sku, base in skus:
        for quantity, price in _tiers(max(base, Decimal("0.50")), sku.moq, sku.case_pack):
            tiers.append(PriceTier(sku=sku, min_quantity=quantity, unit_price_usd=price))
        on_hand = rng.choice([0, 24, 60, 120, 240, 480, 960, 1500, 3000])
        inventory.append((sku, on_hand, sku.moq * 2))
    PriceTier.objects.bulk_create(tiers, batch_size=2000)
    stock_seed(inventory)

    for index, product in enumerate(products):
        card = product_card(product.title_en, seed=index)
        image = ProductImage(
            organization=product.organization,
            product=product,
            width=card.width,
            height=card.height,
            # No description of its own: the page describes it by the title, in the reader's
            # language.
        )
        folder = f"products/{product.organization_id}"
        image.image.name = default_storage.save(
            f"{folder}/demo-{product.pk}.jpg", ContentFile(card.full)
        )
        image.thumbnail.name = default_storage.save(
            f"{folder}/demo-{product.pk}-thumb.jpg", ContentFile(card.thumbnail)
        )
        images.append(image)
    ProductImage.objects.bulk_create(images, batch_size=1000)
    ids = [p.pk for p in products]
    refresh_product_summaries(ids)
    refresh_search_vectors(ids)
    return {"products": len(products), "skus": len(skus), "images": len(images)}


# (8-digit code, description EN, ZH, MFN %, additional % on US goods, consumption tax %, VAT %,
# on the cross-border positive list). Illustrative figures for the demo, not a legal source.
DEMO_TARIFF: list[tuple[str, str, str, str, str, str, str, bool]] = [
    ("17022000", "Maple sugar and maple syrup", "槭糖及槭糖浆", "30", "10", "0", "13", True),
    ("17049000", "Other sugar confectionery", "其他糖食", "10", "10", "0", "13", True),
    (
        "33049900",
        "Other beauty or skin-care preparations",
        "其他美容品或护肤品",
        "1",
        "10",
        "15",
        "13",
        True,
    ),
    ("33041000", "Lip make-up preparations", "唇用化妆品", "1", "10", "15", "13", True),
    ("33051000", "Shampoos", "洗发剂", "3", "10", "0", "13", True),
    ("04069000", "Other cheese", "其他奶酪", "8", "10", "0", "9", True),
    ("04061000", "Fresh cheese", "鲜奶酪", "8", "10", "0", "9", False),
    ("04090000", "Natural honey", "天然蜂蜜", "15", "10", "0", "9", True),
    (
        "09012100",
        "Roasted coffee, not decaffeinated",
        "未浸除咖啡碱的已焙炒咖啡",
        "15",
        "10",
        "0",
        "13",
        True,
    ),
    ("21069090", "Other food preparations", "其他食品", "20", "10", "0", "13", False),
    (
        "61091000",
        "T-shirts and vests of cotton, knitted",
        "棉制针织T恤衫及背心",
        "6",
        "10",
        "0",
        "13",
        True,
    ),
]


def seed_deals() -> dict[str, int]:
    """The China tariff table for the demo products' HS codes, their SKUs mapped to it, samples
    on a few maple SKUs, and a price list from the maple merchant to the demo buyer. Idempotent:
    each part is left as it is once there."""
    from catalog.models import PriceList, PriceListEntry, PriceListTier, TariffLine
    from network.demo import DEMO_BUYER_SLUG

    summary = {"tariff_lines": 0, "mapped_skus": 0, "samples": 0, "price_lists": 0}
    if not TariffLine.objects.exists():
        TariffLine.objects.bulk_create(
            TariffLine(
                code=code,
                hs6=code[:6],
                description_en=en,
                description_zh_hans=zh,
                mfn_duty_percent=Decimal(mfn),
                additional_duty_percent=Decimal(extra),
                consumption_tax_percent=Decimal(ct),
                vat_percent=Decimal(vat),
                cross_border_positive_list=positive,
                effective_from=timezone.localdate() - timedelta(days=365),
            )
            for code, en, zh, mfn, extra, ct, vat, positive in DEMO_TARIFF
        )
        summary["tariff_lines"] = len(DEMO_TARIFF)
        for code, *_rest in DEMO_TARIFF:
            # By product id, not a join back to the SKU table: right after the bulk inserts the
            # planner has no statistics and would loop over every SKU for every SKU.
            products = Product.objects.filter(hs_code__startswith=code[:6]).values("pk")
            summary["mapped_skus"] += SKU.objects.filter(
                product_id__in=products, cn_tariff_code=""
            ).update(cn_tariff_code=code)
    maple = Organization.objects.filter(name="Great Lakes Maple Co.").first()
    buyer = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    if maple is None:
        return summary
    maple_skus = list(
        SKU.objects.filter(organization=maple, product__state=ListingState.ACTIVE)
        .select_related("product")
        .prefetch_related("tiers")
        .order_by("product__reference")[:4]
    )
    if not SKU.objects.filter(organization=maple, sample_price_usd__isnull=False).exists():
        for sku in maple_skus[:3]:
            first = min(sku.tiers.all(), key=lambda t: t.min_quantity)
            sku.sample_price_usd = (first.unit_price_usd * Decimal("1.5")).quantize(Decimal("0.01"))
            sku.sample_limit_per_buyer = 2
            sku.save(update_fields=["sample_price_usd", "sample_limit_per_buyer"])
            summary["samples"] += 1
    if (
        buyer is not None
        and maple_skus
        and not PriceList.objects.filter(organization=maple).exists()
    ):
        price_list = PriceList.objects.create(
            organization=maple,
            buyer=buyer,
            name="Westlake 2026–27 season",
            discount_percent=Decimal("8"),
            valid_from=timezone.localdate() - timedelta(days=30),
        )
        for index, sku in enumerate(maple_skus[:2]):
            entry = PriceListEntry.objects.create(
                organization=maple, buyer=buyer, price_list=price_list, product=sku.product
            )
            if index == 0:
                tiers = sorted(sku.tiers.all(), key=lambda t: t.min_quantity)
                PriceListTier.objects.bulk_create(
                    PriceListTier(
                        organization=maple,
                        buyer=buyer,
                        entry=entry,
                        sku=sku,
                        min_quantity=tier.min_quantity,
                        unit_price_usd=(tier.unit_price_usd * Decimal("0.88")).quantize(
                            Decimal("0.01")
                        ),
                    )
                    for tier in tiers
                )
        summary["price_lists"] = 1
    return summary
